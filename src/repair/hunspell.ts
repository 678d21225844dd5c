/**
 * Expands a hunspell dictionary (the .aff/.dic pair of dictionary-sv) into word forms, keeping
 * what each form may do in a compound. nspell cannot be used for this: it builds the compound
 * rules unanchored (accepting every string) and ignores the COMPOUNDBEGIN/MIDDLE/END flags that
 * Swedish compounding rests on.
 */

/** What a form may be: a word on its own, and/or a part of a compound. */
export const ROLE = {
  word: 1,
  /** May begin a compound (COMPOUNDBEGIN, or a compound form made by a suffix with that flag). */
  begin: 2,
  /** May stand in the middle (COMPOUNDMIDDLE). */
  middle: 4,
  /** May end a compound (COMPOUNDEND). */
  end: 8,
} as const;

interface AffixRule {
  strip: string;
  add: string;
  addFlags: string;
  condition: RegExp;
}

interface AffixGroup {
  kind: 'SFX' | 'PFX';
  rules: AffixRule[];
}

export interface AffixFile {
  groups: Map<string, AffixGroup>;
  compoundBegin: string;
  compoundMiddle: string;
  compoundEnd: string;
  onlyInCompound: string;
  compoundPermit: string;
  needAffix: string;
  forbidden: string;
}

export function parseAff(text: string): AffixFile {
  const groups = new Map<string, AffixGroup>();
  const flag = (name: string) => text.match(new RegExp(`^${name}\\s+(\\S)`, 'm'))?.[1] ?? '\u0000';
  for (const line of text.split('\n')) {
    const parts = line.trim().split(/\s+/);
    if ((parts[0] !== 'SFX' && parts[0] !== 'PFX') || parts.length < 4) continue;
    const [kind, name, a, b, c] = parts as [string, string, string, string, string?];
    if ((a === 'Y' || a === 'N') && /^\d+$/.test(b)) {
      groups.set(name, { kind: kind as 'SFX' | 'PFX', rules: [] });
      continue;
    }
    const group = groups.get(name);
    if (!group) continue;
    const [add, addFlags = ''] = b.split('/');
    const cond = c ?? '.';
    group.rules.push({
      strip: a === '0' ? '' : a,
      add: add === '0' ? '' : add!,
      addFlags,
      condition: new RegExp(kind === 'SFX' ? `${cond}$` : `^${cond}`),
    });
  }
  return {
    groups,
    compoundBegin: flag('COMPOUNDBEGIN'),
    compoundMiddle: flag('COMPOUNDMIDDLE'),
    compoundEnd: flag('COMPOUNDEND'),
    onlyInCompound: flag('ONLYINCOMPOUND'),
    compoundPermit: flag('COMPOUNDPERMITFLAG'),
    needAffix: flag('NEEDAFFIX'),
    forbidden: flag('FORBIDDENWORD'),
  };
}

/**
 * Calls `emit(form, roles)` for every form of every entry: the stem (unless it needs an affix) and
 * each suffix and prefix applied once. Roles come from the entry's flags and the affix's own flags.
 */
export function expandDic(dic: string, aff: AffixFile, emit: (form: string, roles: number) => void): void {
  const lines = dic.split('\n');
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (!line || line.startsWith('#')) continue;
    const slash = line.indexOf('/');
    const stem = slash < 0 ? line : line.slice(0, slash);
    const flags = slash < 0 ? '' : line.slice(slash + 1).split(/\s/)[0]!;
    if (flags.includes(aff.forbidden)) continue;
    const rolesOf = (f: string, standalone: boolean) =>
      (standalone ? ROLE.word : 0) |
      (f.includes(aff.compoundBegin) ? ROLE.begin : 0) |
      (f.includes(aff.compoundMiddle) ? ROLE.middle : 0) |
      (f.includes(aff.compoundEnd) ? ROLE.end : 0);
    const stemStandalone = !flags.includes(aff.needAffix) && !flags.includes(aff.onlyInCompound);
    emit(stem, rolesOf(flags, stemStandalone));
    // Inflected forms inherit the entry's end role (the last part of a compound inflects);
    // compound-forming suffixes (flag W) carry their own begin/middle roles.
    const endRole = flags.includes(aff.compoundEnd) ? ROLE.end : 0;
    for (const f of flags) {
      const group = aff.groups.get(f);
      if (!group) continue;
      for (const rule of group.rules) {
        if (!rule.condition.test(stem)) continue;
        let form: string;
        if (group.kind === 'SFX') {
          if (rule.strip && !stem.endsWith(rule.strip)) continue;
          form = stem.slice(0, stem.length - rule.strip.length) + rule.add;
        } else {
          if (rule.strip && !stem.startsWith(rule.strip)) continue;
          form = rule.add + stem.slice(rule.strip.length);
        }
        if (!form) continue;
        const compoundForm = rule.addFlags.includes(aff.compoundPermit) || rule.addFlags.includes(aff.onlyInCompound);
        const roles = compoundForm ? rolesOf(rule.addFlags, !rule.addFlags.includes(aff.onlyInCompound)) : ROLE.word | endRole | rolesOf(rule.addFlags, true);
        emit(form, roles);
      }
    }
  }
}
