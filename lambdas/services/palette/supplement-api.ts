/**
 * The official Palette operations this client uses that are outside the subset we were given
 * (spec/openapi-subset.json, which is not edited). They are described in spec/supplement.json, with shapes taken from
 * Palette's published models (spectrocloud/palette-sdk-go, spectro-api-java-sdk; see spec/REFERENCE.md §2.11, §2.12), and are
 * GENERATED like the subset's (generated/palette-api.ts is built from both files): nothing is typed by hand here.
 */
import type { paths } from './generated/palette-api';

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/**
 * The supplement's operations as "METHOD path" strings (runtime list). The contract test allows exactly these from the
 * supplement; the type ties each entry to a generated path.
 */
export const SUPPLEMENT_OPERATIONS = [
  'POST /v1/dashboard/spectroclusters/search',
  'GET /v1/spectroclusters/{uid}/features/backup',
  'GET /v1/overlords',
  'GET /v1/overlords/{uid}',
] as const satisfies readonly `${Method} ${keyof paths}`[];
