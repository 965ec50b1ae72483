// order-pricing in AssemblyScript: the same validation, arithmetic and output, byte for
// byte, as guests/rust/order-pricing (see its main.rs for the input and output).

import {
  JsonValue, businessError, centsToJson, jsonString, readInputJson, writeOutput,
} from "./lib/wasm-worker";

const MAX_LINES = 1000;
const MAX_QUANTITY: u64 = 1000000;
const MAX_UNIT_PRICE_CENTS: u64 = 100000000; // 1,000,000.00 EUR
/** Keeps every amount far below 2^53 cents (exact as a double, no overflow in percentOf). */
const MAX_SUBTOTAL_CENTS: u64 = 10000000000000;

const VAT_COUNTRIES = ["AT", "BE", "DE", "ES", "FR", "IT", "LU", "NL"];
const VAT_PERCENT: u64[] = [20, 21, 19, 21, 20, 22, 17, 21];
const DEFAULT_VAT_PERCENT: u64 = 20;

/** `percent`% of `cents`, rounded half up. */
function percentOf(cents: u64, percent: u64): u64 {
  return (cents * percent + 50) / 100;
}

/** Rust's {:?} of a string, which the Rust guest's messages use: quoted, \ and " escaped. */
function quoted(s: string): string {
  return "\"" + s.replaceAll("\\", "\\\\").replaceAll("\"", "\\\"") + "\"";
}

function invalid(field: string, message: string): void {
  businessError("INVALID_ORDER", message, "{\"field\":" + jsonString(field) + "}");
}

/** A non-empty string member, or INVALID_ORDER naming `path`. */
function requiredStr(value: JsonValue | null, path: string): string {
  if (value == null || !value.isString() || value.str.length == 0) {
    invalid(path, path + " must be a non-empty string");
  }
  return value!.str;
}

/** A price in EUR as integer cents: finite, >= 0, at most two decimals. */
function priceCents(value: JsonValue | null, path: string): u64 {
  if (value == null || !value.isNumber()) invalid(path, path + " must be a number");
  const eur = value!.num;
  if (!(eur >= 0.0 && eur <= <f64>(MAX_UNIT_PRICE_CENTS / 100))) {
    invalid(path, path + " must be between 0 and 1000000");
  }
  const cents = Math.round(eur * 100.0); // eur >= 0: half up, like Rust's round()
  // Tolerance for binary floating point: 0.29 * 100 is 28.999999999999996.
  if (Math.abs(eur * 100.0 - cents) > 1e-6) {
    invalid(path, path + " must not have more than two decimals");
  }
  return <u64>cents;
}

function tierPercent(tier: string): i64 {
  if (tier == "gold") return 10;
  if (tier == "silver") return 5;
  if (tier == "standard") return 0;
  return -1;
}

function isAsciiLetter(c: i32): bool {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}

function main(): void {
  const order = readInputJson();
  if (!order.isObject()) businessError("INVALID_INPUT", "input must be a JSON object");
  const orderId = requiredStr(order.get("orderId"), "orderId");

  const customer = order.get("customer");
  if (customer == null || !customer.isObject()) invalid("customer", "customer must be an object");
  const tier = requiredStr(customer!.get("tier"), "customer.tier");
  const tierDiscountPercent = tierPercent(tier);
  if (tierDiscountPercent < 0) {
    invalid("customer.tier", "unknown customer.tier " + quoted(tier) + " (expected gold, silver or standard)");
  }
  let country = requiredStr(customer!.get("country"), "customer.country");
  // Rust's str::len counts UTF-8 bytes: two ASCII letters are two of both.
  if (country.length != 2 || !isAsciiLetter(country.charCodeAt(0)) || !isAsciiLetter(country.charCodeAt(1))) {
    invalid("customer.country", "customer.country must be a two-letter country code");
  }
  country = country.toUpperCase();

  const lines = order.get("lines");
  if (lines == null || !lines.isArray()) invalid("lines", "lines must be an array");
  const lineCount = lines!.items.length;
  if (lineCount == 0 || lineCount > MAX_LINES) invalid("lines", "lines must have between 1 and 1000 entries");
  let subtotal: u64 = 0;
  let itemCount: u64 = 0;
  for (let i = 0; i < lineCount; i++) {
    const line = lines!.items[i];
    const at = "lines[" + i.toString() + "].";
    if (!line.isObject()) invalid("lines[" + i.toString() + "]", "each line must be an object");
    requiredStr(line.get("sku"), at + "sku");
    const q = line.get("quantity");
    if (q == null || !q.isNumber() || !q.isUnsignedInt || q.uint < 1 || q.uint > MAX_QUANTITY) {
      invalid(at + "quantity", at + "quantity must be an integer between 1 and 1000000");
    }
    const unitCents = priceCents(line.get("unitPrice"), at + "unitPrice");
    subtotal += q!.uint * unitCents;
    itemCount += q!.uint;
  }
  if (subtotal > MAX_SUBTOTAL_CENTS) invalid("lines", "order subtotal exceeds 100000000000 EUR");

  const tierDiscount = percentOf(subtotal, <u64>tierDiscountPercent);
  const afterTier = subtotal - tierDiscount;
  let couponDiscount: u64 = 0;
  const coupon = order.get("couponCode");
  if (coupon != null && !coupon.isNull()) {
    if (!coupon.isString()) invalid("couponCode", "couponCode must be a string or null");
    const code = coupon.str;
    if (code == "SAVE10") couponDiscount = percentOf(afterTier, 10);
    else if (code == "WELCOME5") couponDiscount = afterTier < 500 ? afterTier : 500; // never below zero
    else businessError("UNKNOWN_COUPON", "unknown coupon code " + quoted(code), "{\"couponCode\":" + jsonString(code) + "}");
  }

  let taxRatePercent = DEFAULT_VAT_PERCENT;
  for (let i = 0; i < VAT_COUNTRIES.length; i++) {
    if (VAT_COUNTRIES[i] == country) taxRatePercent = VAT_PERCENT[i];
  }
  const tax = percentOf(afterTier - couponDiscount, taxRatePercent);
  const discount = tierDiscount + couponDiscount;

  writeOutput(
    "{\"orderId\":" + jsonString(orderId) +
    ",\"currency\":\"EUR\"" +
    ",\"lineCount\":" + lineCount.toString() +
    ",\"itemCount\":" + itemCount.toString() +
    ",\"subtotal\":" + centsToJson(subtotal) +
    ",\"tierDiscount\":" + centsToJson(tierDiscount) +
    ",\"couponDiscount\":" + centsToJson(couponDiscount) +
    ",\"discount\":" + centsToJson(discount) +
    ",\"taxRatePercent\":" + taxRatePercent.toString() +
    ",\"tax\":" + centsToJson(tax) +
    ",\"total\":" + centsToJson(subtotal - discount + tax) +
    "}");
}

main();
