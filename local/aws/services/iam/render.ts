/** XML shapes of IAM entities, as the IAM query API returns them. */
import type { ManagedPolicyRecord, PolicyVersion, RoleRecord, Tag, UserRecord } from '../../core/identity';
import { el, isoDate, members, opt, type Xml, type XmlChild } from '../../core/protocol';

/** Policy documents are returned URL-encoded (RFC 3986), as IAM does. */
export function encodeDocument(doc: string): string {
  return encodeURIComponent(doc);
}

export function tagsXml(tags: Tag[]): Xml | undefined {
  return tags.length === 0 ? undefined : members('Tags', tags, (t) => [el('Key', t.Key), el('Value', t.Value)]);
}

export function roleXml(r: RoleRecord, o: { tags?: boolean; lastUsed?: boolean } = {}): XmlChild[] {
  return [
    el('Path', r.path),
    el('RoleName', r.roleName),
    el('RoleId', r.roleId),
    el('Arn', r.arn),
    el('CreateDate', isoDate(r.createDate)),
    el('AssumeRolePolicyDocument', encodeDocument(r.trustPolicy)),
    opt('Description', r.description),
    el('MaxSessionDuration', r.maxSessionDuration),
    o.tags ? tagsXml(r.tags) : undefined,
    o.lastUsed ? el('RoleLastUsed') : undefined,
  ];
}

export function userXml(u: UserRecord, o: { tags?: boolean } = {}): XmlChild[] {
  return [
    el('Path', u.path),
    el('UserName', u.userName),
    el('UserId', u.userId),
    el('Arn', u.arn),
    el('CreateDate', isoDate(u.createDate)),
    o.tags ? tagsXml(u.tags) : undefined,
  ];
}

export function policyXml(p: ManagedPolicyRecord, attachmentCount: number, o: { description?: boolean; tags?: boolean } = {}): XmlChild[] {
  return [
    el('PolicyName', p.policyName),
    el('PolicyId', p.policyId),
    el('Arn', p.arn),
    el('Path', p.path),
    el('DefaultVersionId', p.defaultVersionId),
    el('AttachmentCount', attachmentCount),
    el('PermissionsBoundaryUsageCount', 0),
    el('IsAttachable', true),
    o.description ? opt('Description', p.description) : undefined,
    el('CreateDate', isoDate(p.createDate)),
    el('UpdateDate', isoDate(p.updateDate)),
    o.tags ? tagsXml(p.tags) : undefined,
  ];
}

export function policyVersionXml(p: ManagedPolicyRecord, v: PolicyVersion, withDocument: boolean): XmlChild[] {
  return [
    withDocument ? el('Document', encodeDocument(v.document)) : undefined,
    el('VersionId', v.versionId),
    el('IsDefaultVersion', v.versionId === p.defaultVersionId),
    el('CreateDate', isoDate(v.createDate)),
  ];
}
