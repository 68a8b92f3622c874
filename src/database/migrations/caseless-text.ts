import { caseFold } from 'unicode-case-folding';

/*
 * The caseless comparison rule (src/users/caseless-text.ts) as the migrations of 1764324820000
 * and 1764324830000 applied it. A migration is history: it must compute tomorrow what it computed
 * when it shipped, and infrastructure imports no feature. If the users' rule changes, stored keys
 * need a migration of their own (caseless-text.spec.ts then fails, as a reminder).
 */

const BEYOND_ASCII = /[\u0080-\uffff]/;
const DEFAULT_IGNORABLE = /\p{Default_Ignorable_Code_Point}/gu;
const SURROUNDING_WHITE_SPACE = /^\p{White_Space}+|\p{White_Space}+$/gu;

/** The key column holds this many characters. */
export const USER_NAME_KEY_MAX_LENGTH = 255;

function foldCase(text: string): string {
  return BEYOND_ASCII.test(text) ? caseFold(text.normalize('NFC')).normalize('NFC') : text.toLowerCase();
}

export function normalizeUserName(userName: string): string {
  return foldCase(userName.replace(DEFAULT_IGNORABLE, '')).replace(SURROUNDING_WHITE_SPACE, '');
}

export function foldedOrNull(text: string | null): string | null {
  return text === null ? null : foldCase(text);
}
