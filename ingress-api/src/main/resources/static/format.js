// How the web app writes money, accounts and times for the customer's language, with the browser's Intl.

/** An amount (a decimal string of the API, "1234.5") as the locale writes it in the currency: "CN¥1,234.50", "¥1,234.50". */
export function money(amount, currency, locale) {
  if (amount === null || amount === undefined || amount === '') return '';
  try {
    // A string is formatted as the exact decimal it is, not through a binary float.
    return new Intl.NumberFormat(locale, { style: 'currency', currency }).format(String(amount));
  } catch {
    return `${amount} ${currency}`;
  }
}

/**
 * Digits after the decimal point of the currency's minor unit, as the bank writes its amounts: an amount of the API
 * in that currency (a balance, a face value) is written at the currency's scale, and says it. Without one, the
 * browser's guess (its Intl data, CLDR), which for a few currencies differs from the ISO 4217 scale the bank keeps.
 */
export function fractionDigits(currency, amountOfTheBank) {
  if (typeof amountOfTheBank === 'string' && /^-?\d+(\.\d+)?$/.test(amountOfTheBank)) {
    return amountOfTheBank.includes('.') ? amountOfTheBank.length - amountOfTheBank.indexOf('.') - 1 : 0;
  }
  return browserFractionDigits(currency);
}

/** Digits after the decimal point of the currency's minor unit by the browser's Intl data: 2 for CNY, 0 for JPY. */
function browserFractionDigits(currency) {
  try {
    return new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits;
  } catch {
    return 2;
  }
}

/**
 * What the customer typed as an amount, as the API's decimal string ("1,000.5" → "1000.5"), or null if it is
 * not a positive amount with at most the currency's decimals ({@code digits}, from {@link fractionDigits}). A comma or space only between groups of three digits:
 * "1,50" or "0,500", a decimal comma as many keypads type it, is no amount (read as 150, it froze a hundred times as much).
 */
export function parseAmount(typed, digits) {
  const trimmed = typed.trim();
  if (/[\s,，]/.test(trimmed) && !/^[1-9]\d{0,2}([\s,，]\d{3})+(\.\d+)?$/.test(trimmed)) return null;
  const plain = trimmed.replace(/[\s,，]/g, '');
  const shape = digits > 0 ? new RegExp(`^\\d{1,13}(\\.\\d{1,${digits}})?$`) : /^\d{1,13}$/;
  if (!shape.test(plain) || toMinor(plain, digits) <= 0n) return null;
  return plain;
}

/** A decimal string in minor units, exactly: "12.3" at 2 digits → 1230n. */
export function toMinor(decimal, digits) {
  const [whole, fraction = ''] = String(decimal).split('.');
  return BigInt(whole + fraction.padEnd(digits, '0').slice(0, digits));
}

/** The currency's name in the locale: "Chinese Yuan", "人民币". */
export function currencyName(currency, locale) {
  try {
    return new Intl.DisplayNames([locale], { type: 'currency' }).of(currency) ?? currency;
  } catch {
    return currency;
  }
}

/**
 * An account number shown as a bank shows it: only its last four letters or digits ("•••• 1234"). The demo's
 * account ids are not numbers ("alice-cny" shows as "•••• ECNY"); the rule is the same.
 */
export function masked(number) {
  const tail = String(number ?? '').replace(/[^0-9a-z]/gi, '').slice(-4).toUpperCase();
  return `•••• ${tail}`;
}

/** A date and time as the locale writes it, to the minute. */
export function dateTime(instant, locale) {
  if (!instant) return '';
  return new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(instant));
}
