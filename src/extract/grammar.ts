/**
 * A small grammar of Swedish administrative prose, enough to read who takes part in the award:
 * tokens, unit noun phrases, participation predicates, class, department and operator phrases.
 *
 * A unit is a noun phrase whose head is a kind of unit — found by compound analysis against a
 * lexicon of unit-type heads (förskol|an, ungdoms|jouren, park|enheten, omsorgs|boendet), not a
 * list of names — with a proper name after it (`förskolan Pärlan`), a name before it
 * (`Råckstagårdens vård- och omsorgsboende`), a `för` complement (`Enheten för bokning och
 * kundtjänst`), or a capitalized compound alone (`Ungdomsjouren`). Coordination (`,` `och`
 * `samt`), appositive qualifiers (`, område Sköndal`) and suspended compounds (`vård- och`) are
 * part of the grammar.
 */

export interface Token {
  text: string;
  start: number;
  end: number;
}

/** Words, suspended compounds ("Vård- och omsorgsboendet" is one word) and punctuation. */
export function tokenize(s: string): Token[] {
  const out: Token[] = [];
  const re = /[\p{L}\d][\p{L}\d]*(?:[-'’.:/][\p{L}\d]+)*-\s(?:och|eller|samt)\s[\p{L}][\p{L}\d-]*|[\p{L}\d][\p{L}\d]*(?:[-'’.:/][\p{L}\d]+)*-?|[^\s\p{L}\d]/gu;
  for (const m of s.matchAll(re)) out.push({ text: m[0], start: m.index, end: m.index + m[0].length });
  return out;
}

/** Kinds of unit, as the last part of a compound (definite and indefinite singular). */
const HEADS = [
  'förskola', 'förskolan', 'skola', 'skolan', 'gymnasium', 'gymnasiet', 'enhet', 'enheten', 'boende', 'boendet',
  'hemtjänst', 'hemtjänsten', 'team', 'teamet', 'jour', 'jouren', 'centrum', 'centret', 'center', 'mottagning',
  'mottagningen', 'verksamhet', 'verksamheten', 'bibliotek', 'biblioteket', 'gård', 'gården', 'hus', 'huset', 'hem',
  'hemmet', 'kooperativ', 'kooperativet', 'stöd', 'stödet', 'härbärge', 'härbärget', 'hall', 'hallen', 'plats',
  'platsen', 'bad', 'badet', 'torg', 'torget', 'komvux', 'byrå', 'byrån', 'grupp', 'gruppen', 'museum', 'museet',
  'arkiv', 'arkivet', 'scen', 'scenen', 'verkstad', 'verkstaden', 'träffpunkt', 'träffpunkten', 'öppenvård',
  'öppenvården', 'bostad', 'bostaden', 'klubb', 'klubben', 'service', 'servicen', 'kollo', 'lots', 'lotsen',
  'tjänst', 'tjänsten', 'kök', 'köket', 'central', 'centralen', 'område', 'området', 'hälsa', 'hälsan', 'studio', 'studion', 'park', 'parken', 'anläggning', 'anläggningen',
];
const HEAD_RE = new RegExp(`^(.*?)(${[...HEADS].sort((a, b) => b.length - a.length).join('|')})$`, 'u');
/** Multi-word unit kinds. */
const PHRASE_HEADS = [/^daglig verksamhet(?:en)?$/iu, /^stöd och service$/iu, /^öppen förskola$/iu];
/** The first words of PHRASE_HEADS. */
const PHRASE_FIRST = /^(?:daglig|stöd|öppen)$/iu;

/** Words never part of a unit's name: bodies, the award, the city. */
const NOT_NAME = /nämnd|förvaltning|kontor(?:et)?$|^stad(?:en|ens|s)?$|kommun|utmärkelse|^avdelning|styrelse|^stadshus|fullmäktige|^staden$|^region/iu;
const FUNCTION_WORDS = new Set([
  'den', 'det', 'de', 'dessa', 'denna', 'detta', 'i', 'från', 'för', 'till', 'med', 'av', 'på', 'om', 'och', 'samt', 'eller', 'som',
  'samtliga', 'alla', 'båda', 'både', 'även', 'också', 'under', 'inom', 'vid', 'efter', 'enligt', 'sedan', 'en', 'ett', 'år', 'nämnden',
  'förvaltningen', 'här', 'där', 'när', 'hur', 'vilka', 'vilket', 'ingen', 'inga', 'var', 'varje', 'övriga', 'tre', 'två', 'fyra', 'fem', 'sex',
  'sju', 'åtta', 'nio', 'tio', 'dessutom', 'därför', 'dock', 'förra', 'nästa', 'årets', 'stadens',
]);
const MONTHS = /^(?:januari|februari|mars|april|maj|juni|juli|augusti|september|oktober|november|december)$/iu;
/** Verbs of this register that end a noun phrase. */
const VERB = /^(?:deltar|delta|deltog|deltagit|tävlar|tävla|anmäls|anmäler|anmält|anmälde|anmälts|drivs|har|hade|är|var|ska|skall|får|kan|ger|bedrivs|ingår|tillhör|hör|ligger|arbetar|erbjuder|ansvarar|beskriver|omfattar|riktar|vann|fick|avstår|föreslås|nomineras|nominerar|representerar|representera|bedömer|utför|utförs|finns|blev|blir|tar|går|vill|bör|kommer|ställer|medverkar|söker|driver|startade|flyttar|lämnar|visar|samarbetar|följer|använder|erbjuds|ges|leds|kallas|heter|innebär|består|utgör)$/iu;
const PREPOSITION = /^(?:i|på|med|av|till|inom|vid|under|sedan|som|från|genom|mot|enligt|efter|hos|utan|om|åt|in|ur|bland|kring|runt|mellan|inför|per|via)$/iu;

const isCap = (w: string) => /^\p{Lu}/u.test(w);
const isWord = (w: string) => /^[\p{L}\d]/u.test(w);

/** The unit kind a word is, if any: its head part and whether it is a compound. */
export function unitHead(word: string): { head: string; compound: boolean } | null {
  // Asked of nearly every word, several times over: remembered (the answer is never changed by callers).
  let known = unitHeads.get(word);
  if (known === undefined) {
    known = findUnitHead(word);
    if (unitHeads.size >= 50_000) unitHeads.clear();
    unitHeads.set(word, known);
  }
  return known;
}
const unitHeads = new Map<string, { head: string; compound: boolean } | null>();

function findUnitHead(word: string): { head: string; compound: boolean } | null {
  const w = word.toLowerCase();
  if (/-\s(?:och|eller|samt)\s/u.test(w)) {
    const last = w.split(/\s/u).pop()!;
    const h = unitHead(last);
    return h ? { head: h.head, compound: true } : null;
  }
  const m = HEAD_RE.exec(w);
  if (!m) return null;
  const prefix = m[1]!;
  if (prefix && prefix.replace(/-$/u, '').length < 2) return null;
  if (/(?:nämnd|nämnden|förvaltning|förvaltningen|kontor|kontoret|styrelse|styrelsen)$|^(?:stadshus|rådhus|kommunhus|stadsbibliotek)/u.test(w)) return null;
  return { head: m[2]!, compound: prefix.length > 0 };
}

/** A word that can be (part of) a proper name in a unit's name. */
function isNameWord(w: string): boolean {
  let known = nameWords.get(w);
  if (known === undefined) {
    known = isNameWordUncached(w);
    if (nameWords.size >= 50_000) nameWords.clear();
    nameWords.set(w, known);
  }
  return known;
}
const nameWords = new Map<string, boolean>();

function isNameWordUncached(w: string): boolean {
  return isCap(w) && isWord(w) && !FUNCTION_WORDS.has(w.toLowerCase()) && !MONTHS.test(w) && !NOT_NAME.test(w) && !/^\d{4}$/u.test(w) && !/^(?:AB|HB|KB)$/u.test(w);
}

export interface UnitMention {
  /** The name as written (qualifier included). */
  name: string;
  /** Offsets in the sentence text. */
  start: number;
  end: number;
  /** Determiners and adjectives before the head ("den fristående"). */
  before: string;
  /** Token index range in the sentence's tokens. */
  from: number;
  to: number;
}

const QUALIFIER = /^(?:område|team|teamet|grupp|gruppen|enhet|enheten|hus|sektion|distrikt|region|inriktning|del|avdelning|spår|mottagning)$/u;

/** Unit noun phrases in a sentence, left to right. */
export function unitMentions(sentence: string, tokens = tokenize(sentence)): UnitMention[] {
  const out: UnitMention[] = [];
  let i = 0;
  while (i < tokens.length) {
    const m = mentionAt(sentence, tokens, i);
    if (m) {
      out.push(m);
      i = m.to;
    } else i++;
  }
  return out;
}

function nameRun(tokens: Token[], i: number): number {
  let j = i;
  while (j < tokens.length && isNameWord(tokens[j]!.text) && !unitHeadStartsNew(tokens, j, i)) {
    j++;
    // "Förskolan Lek och Lär": a name may hold "och" between two capitalized words that start no new unit.
    if (tokens[j]?.text === 'och' && isNameWord(tokens[j + 1]?.text ?? '') && !unitHead(tokens[j + 1]!.text) && !isNameWord(tokens[j + 2]?.text ?? '') && !unitHead(tokens[j + 2]?.text ?? '') && j + 1 < tokens.length && tokens[j + 1]!.text.length <= 12) j++;
  }
  return j;
}

/** Inside a run of names, a capitalized compound head followed by a name starts a new unit. */
function unitHeadStartsNew(tokens: Token[], j: number, runStart: number): boolean {
  if (j === runStart) return false;
  const h = unitHead(tokens[j]!.text);
  return !!h && (h.compound || isNameWord(tokens[j + 1]?.text ?? ''));
}

function mentionAt(s: string, tokens: Token[], i: number): UnitMention | null {
  const t = tokens[i]!;
  if (!isWord(t.text)) return null;
  // Determiners and adjectives before a lower-case head: "den fristående förskolan X", "daglig verksamhet X".
  let k = i;
  const beforeWords: string[] = [];
  while (k < tokens.length - 1 && /^(?:den|det|de|en|ett|fristående|kommunala|kommunal|privata|privat|enskilda|enskild|nya|nystartade)$/iu.test(tokens[k]!.text) && !isNameWord(tokens[k]!.text)) {
    beforeWords.push(tokens[k]!.text);
    k++;
  }
  // Phrase heads: "Daglig verksamhet", "Stöd och service".
  // (Each phrase head starts with one of these words: the phrase is only built when it could match.)
  for (const len of PHRASE_FIRST.test(tokens[k]!.text) ? [3, 2] : []) {
    if (k + len > tokens.length) continue;
    const phrase = tokens.slice(k, k + len).map((x) => x.text).join(' ');
    if (PHRASE_HEADS.some((re) => re.test(phrase))) {
      const nameEnd = nameRun(tokens, k + len);
      if (nameEnd > k + len) return finishMention(s, tokens, k, nameEnd, beforeWords.join(' '), true);
    }
  }
  const head = unitHead(tokens[k]!.text);
  if (head) {
    // Head + proper name: "förskolan Pärlan", "Hemtjänsten Södermalm Öst", "Jobbtorg Unga Järva".
    const nameEnd = nameRun(tokens, k + 1);
    if (nameEnd > k + 1) return finishMention(s, tokens, k, nameEnd, beforeWords.join(' '), true);
    // Head + "för" complement: "Enheten för bokning och kundtjänst", "Stödcentrum för unga brottsoffer".
    if (isCap(tokens[k]!.text) && tokens[k + 1]?.text === 'för') {
      const end = forComplement(tokens, k + 2);
      if (end > k + 2) return finishMention(s, tokens, k, end, beforeWords.join(' '), false);
    }
    // A capitalized compound alone: "Ungdomsjouren", "Parkenheten", "Årstadalsskolan".
    if (isCap(tokens[k]!.text) && head.compound && !beforeWords.length) return finishMention(s, tokens, k, k + 1, '', true);
    return null;
  }
  if (beforeWords.length) return null;
  // Name + lower-case head: "Råckstagårdens vård- och omsorgsboende", "Grimsta idrottsplats", "Brännkyrka gymnasium".
  if (isNameWord(t.text)) {
    let j = i;
    while (j < tokens.length && j < i + 3 && isNameWord(tokens[j]!.text)) j++;
    const h = tokens[j] && /^\p{Ll}/u.test(tokens[j]!.text) ? unitHead(tokens[j]!.text) : null;
    if (h && j > i) {
      // The name part is the words right before the head (a sentence-initial capital is not a name).
      let from = i;
      while (from < j - 1 && unitHead(tokens[from]!.text)) from++;
      // "Ungdomens hus Tensta": a name after the head too.
      const after = nameRun(tokens, j + 1);
      return finishMention(s, tokens, from, after, '', true);
    }
  }
  return null;
}

/** "för" + lower-case words joined by och/samt, up to a verb, preposition, capital or punctuation. */
function forComplement(tokens: Token[], i: number): number {
  let j = i;
  let last = i;
  while (j < tokens.length) {
    const w = tokens[j]!.text;
    if (/^(?:och|samt)$/u.test(w)) {
      const next = tokens[j + 1]?.text ?? '';
      if (!/^\p{Ll}/u.test(next) || VERB.test(next) || PREPOSITION.test(next) || (unitHead(next) && isNameWord(tokens[j + 2]?.text ?? ''))) break;
      j++;
      continue;
    }
    // "Stöd för barn och unga i familjer": "i" and a noun inside the complement, when the phrase ends there.
    if (w === 'i' && j > i && /^\p{Ll}/u.test(tokens[j + 1]?.text ?? '') && !VERB.test(tokens[j + 1]!.text) && !FUNCTION_WORDS.has(tokens[j + 1]!.text) && (!tokens[j + 2] || VERB.test(tokens[j + 2]!.text) || !/^[\p{L}\d]/u.test(tokens[j + 2]!.text))) {
      j += 2;
      last = j;
      continue;
    }
    if (!/^\p{Ll}/u.test(w) || VERB.test(w) || (PREPOSITION.test(w) && j > i) || FUNCTION_WORDS.has(w) && !/^(?:de|deras|sina|unga|äldre)$/u.test(w)) {
      if (!/^(?:deras|unga|äldre)$/u.test(w)) break;
    }
    j++;
    last = j;
  }
  return last;
}

function finishMention(s: string, tokens: Token[], from: number, to: number, before: string, allowQualifier: boolean): UnitMention {
  let end = to;
  // An appositive qualifier after a comma: "Hemtjänsten Farsta, område Sköndal", "Kontaktcenter, team Förskola och skola".
  if (allowQualifier && tokens[end]?.text === ',' && QUALIFIER.test(tokens[end + 1]?.text ?? '') && isNameWord(tokens[end + 2]?.text ?? '')) {
    let j = end + 2;
    while (j < tokens.length && isNameWord(tokens[j]!.text)) j++;
    // "team Förskola och skola samt …": a lower-case noun coordinated inside the qualifier's name.
    if (tokens[j]?.text === 'och' && /^\p{Ll}/u.test(tokens[j + 1]?.text ?? '') && !VERB.test(tokens[j + 1]!.text) && !PREPOSITION.test(tokens[j + 1]!.text) && !isNameWord(tokens[j + 2]?.text ?? 'X')) j += 2;
    end = j;
  }
  // A company is not a unit ("Småfolk Förskolor AB").
  const start = tokens[from]!.start;
  const stop = tokens[end - 1]!.end;
  return { name: s.slice(start, stop).replace(/\s+/gu, ' '), start, end: stop, before, from, to: end };
}

/** Participation: present, infinitive, supine and passive forms; not the preterite ("deltog", "anmälde"). */
export const PARTICIPATES = /\b(?:deltar|delta|anmäls|anmäler|anmäla|anmält|anmälts|anmälan|anmälda|anmäld|nominerar|nomineras|nominera|nominering\w*|tävlar|tävla|ställer upp|ställa upp|ställs upp|representera|representerar|medverkar|medverka|föreslås|deltagande enheter|går in|skickar in|deltagit med)\b/iu;
/** A participation denied or withdrawn. */
/** An exception inside a list: "A, B och C, med undantag för D, tävlar". */
export const EXCEPT = /\b(?:med\s+undantag\s+(?:för|av)|undantaget|förutom|utom)\s+$/iu;
export const WITHDRAWS = /(?<![\p{L}\d])(?:deltar\s+(?:\p{L}+\s+)?inte|inte\s+(?:\p{L}+\s+)?(?:delta|deltar|anmäls|anmäla|tävla|kommer att delta)|avstår|avböj\w*|dra(?:git|r)\s+(?:sig\s+)?(?:tillbaka|ur)|återkalla\w*|lämnat återbud|hoppar av|hoppat av|bör vänta|inte lämpligt|utgår|ej\s+delta\w*|deltar\s+ej|stryks)\b/iu;

/** Class phrases and their keys, anchored at the start of the text that follows "klass(en)". */
export const CLASS_PHRASES: Array<[import('../../schemas/record.js').ClassKey, RegExp]> = [
  ['annan_vard_omsorg', /^annan\s+vård\s+och\s+omsorg/iu],
  ['socialtjanst_funktionsnedsattning', /^(?:socialtjänst|stöd\s+och\s+service\s+till\s+personer\s+med\s+funktionsnedsättning|funktionsnedsättning)/iu],
  ['aldreomsorg', /^äldreomsorg\w*/iu],
  ['forskola', /^förskol\w*/iu],
  ['skola', /^(?:skol(?:a|an|or)\b|grundskol\w*|gymnasie\w*|gymnasium|vuxenutbildning)/iu],
  ['andra_verksamheter', /^andra\s+verksamheter/iu],
];

export function classAt(text: string): { key: import('../../schemas/record.js').ClassKey; length: number } | null {
  const t = text.replace(/^["”“']/u, '');
  for (const [key, re] of CLASS_PHRASES) {
    const m = re.exec(t);
    if (m) return { key, length: m[0].length + (text.length - t.length) };
  }
  return null;
}

export { isCap, VERB, PREPOSITION, isNameWord };
