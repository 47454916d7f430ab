// WeChat mini-program entity types and their sub-types, as the server accepts them
// (src/domain/entity_type.rs). Sub-types are Chinese names as WeChat shows them.
import type { EntityType } from '@/api/types'

export const ENTITY_TYPES: EntityType[] = ['enterprise', 'media', 'government', 'other_org', 'individual']

export const ENTITY_SUBTYPES: Record<EntityType, readonly string[]> = {
  individual: [],
  enterprise: [
    '个人独资企业',
    '企业法人',
    '企业非法人',
    '非公司制企业法人',
    '全民所有制',
    '农民专业合作社',
    '企业分支机构',
    '合伙企业',
    '其他企业',
    '个体工商户',
    '个体经营',
  ],
  media: ['事业单位媒体', '其他媒体', '电视广播', '报刊', '杂志', '网络媒体'],
  government: ['政府机关', '国家行政机关法人', '民主党派', '政协组织', '人民解放军', '武警部队', '其他机关', '事业单位'],
  other_org: ['免费类型', '社会团体', '民办非企业', '其他组织', '事业单位'],
}

/** Individuals have no corporate account, so they cannot verify by transfer. */
export function allowsTransferVerification(t: EntityType): boolean {
  return t !== 'individual'
}
