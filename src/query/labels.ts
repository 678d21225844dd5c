/**
 * Swedish labels for the keys the archive stores (award classes, kinds of dates, topics,
 * operators): written into the database's `labels` table so other tools (Datasette, sqlite3, DB
 * Browser) can show them, and used by the HTML report.
 */
export type LabelKind = 'class' | 'date_kind' | 'topic' | 'operator' | 'joined_by';

export const LABELS: Record<LabelKind, Record<string, string>> = {
  class: {
    forskola: 'Förskola',
    skola: 'Skola',
    aldreomsorg: 'Äldreomsorg',
    annan_vard_omsorg: 'Annan vård och omsorg',
    socialtjanst_funktionsnedsattning: 'Socialtjänst samt stöd och service till personer med funktionsnedsättning',
    andra_verksamheter: 'Andra verksamheter',
    unknown: 'Klass ej angiven',
  },
  date_kind: {
    award: 'Utdelning av utmärkelsen',
    registration_deadline: 'Sista dag för anmälan',
    submission_deadline: 'Sista dag för inlämning av bidrag',
    minutes_deadline: 'Sista dag för protokollsutdrag',
    management_group: 'Ledningsgruppens möte',
    disability_council: 'Funktionshinderrådets möte',
    pensioners_council: 'Pensionärsrådets möte',
    document: 'Tjänsteutlåtandets datum',
    board_meeting: 'Nämndens sammanträde',
  },
  topic: {
    award_participation: 'Deltagande i Kvalitetsutmärkelsen',
    other: 'Annat ärende',
  },
  operator: {
    municipal: 'Kommunal regi',
    private: 'Enskild regi',
  },
  joined_by: {
    self: 'Ensam handling',
    dnr: 'Samma diarienummer och nämnd',
    text: 'Nästan samma text',
    archivist: 'Arkivariens beslut',
  },
};

/** The Swedish label of a key, or the key itself when it has none. */
export function label(kind: LabelKind, key: string | null | undefined): string {
  if (key === null || key === undefined) return '';
  return LABELS[kind][key] ?? key;
}

/** Every label as rows for the `labels` table. */
export function labelRows(): Array<{ kind: LabelKind; key: string; label: string }> {
  return (Object.entries(LABELS) as Array<[LabelKind, Record<string, string>]>).flatMap(([kind, m]) => Object.entries(m).map(([key, l]) => ({ kind, key, label: l })));
}

/** Words printed where a report lacks a value. */
export const UNKNOWN_BOARD = 'okänd nämnd';
export const UNKNOWN_YEAR = 'okänt år';
