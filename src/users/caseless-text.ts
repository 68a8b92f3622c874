import { caseFold } from 'unicode-case-folding';
import { DomainError, DomainErrorCode } from '../common/domain-error';

// Any UTF-16 unit past ASCII, surrogates included.
const BEYOND_ASCII = /[\u0080-\uffff]/;

/**
 * The one comparison rule for text that SCIM compares without regard to case (userName, names,
 * emails): Unicode NFC, then full case folding (CaseFolding.txt, statuses C and F, no Turkic
 * mappings), then NFC again so the stored form is canonical. Both databases then compare the
 * result byte for byte, so they cannot disagree, whatever their collations do.
 *
 * Full folding makes `straße` equal `strasse` and `ΟΔΟΣ` equal `οδος`; it keeps accents
 * (`alicé` is not `alice`), compatibility forms (full-width `ＡＢＣ` is not `abc`) and the dotted
 * capital I (`İ` folds to `i̇`, so `İvan` is not `ivan`) apart, as Unicode does.
 */
export function foldCase(text: string): string {
  // CaseFolding.txt maps nothing in ASCII but A–Z (to a–z), and NFC leaves ASCII as it is: the
  // common case skips the library's slower per-character walk on every SCIM request.
  if (!BEYOND_ASCII.test(text)) {
    return text.toLowerCase();
  }
  return caseFold(text.normalize('NFC')).normalize('NFC');
}

const DEFAULT_IGNORABLE = /\p{Default_Ignorable_Code_Point}/gu;
const SURROUNDING_WHITE_SPACE = /^\p{White_Space}+|\p{White_Space}+$/gu;

/**
 * The userName uniqueness key, stored in `users.user_name_normalized`: `foldCase` after removing
 * default-ignorable code points (zero-width spaces and joiners, soft hyphens, variation
 * selectors, …) and white space at either end. Invisible differences never make two accounts,
 * so a 409 on create and a `userName eq` lookup always agree on which user is meant.
 */
export function normalizeUserName(userName: string): string {
  return normalizeUserNamePart(userName).replace(SURROUNDING_WHITE_SPACE, '');
}

/** A piece of a userName that `co`, `sw` and `ew` filters look for: white space at its ends is part of what is sought. */
export function normalizeUserNamePart(part: string): string {
  return foldCase(part.replace(DEFAULT_IGNORABLE, ''));
}

/** The key column holds this many characters; folding can lengthen a name (ß → ss). */
export const USER_NAME_KEY_MAX_LENGTH = 255;

/** The key of a userName being created, refused when it is empty or longer than the column. */
export function userNameKeyForNewUser(userName: string): string {
  const key = normalizeUserName(userName);
  if (key === '') {
    throw new DomainError(
      DomainErrorCode.InvalidInput,
      'userName must contain a visible character (white space and invisible characters alone are not a name).',
    );
  }
  if ([...key].length > USER_NAME_KEY_MAX_LENGTH) {
    throw new DomainError(
      DomainErrorCode.InvalidInput,
      `userName is too long: at most ${USER_NAME_KEY_MAX_LENGTH} characters once case-folded (ß counts as ss).`,
    );
  }
  return key;
}

/** The folded copy of a nullable profile value that filters compare. */
export function foldedOrNull(text: string | null): string | null {
  return text === null ? null : foldCase(text);
}
