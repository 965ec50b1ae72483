// A small JSON reader and writer for guests: enough to read a task's input and to
// write output that matches serde_json byte for byte (the Rust guests' output).

export enum JsonKind {
  Null,
  Bool,
  Number,
  String,
  Array,
  Object,
}

/** One parsed JSON value. Fields that do not belong to `kind` are empty. */
export class JsonValue {
  kind: JsonKind = JsonKind.Null;
  bool: bool = false;
  /** The number as a double (JSON numbers are read like serde_json's as_f64). */
  num: f64 = 0;
  /** The number was written as a non-negative integer (no sign, fraction or exponent). */
  isUnsignedInt: bool = false;
  /** The integer's value when isUnsignedInt and it fits a u64. */
  uint: u64 = 0;
  str: string = "";
  items: JsonValue[] = [];
  keys: string[] = [];
  values: JsonValue[] = [];

  isNull(): bool { return this.kind == JsonKind.Null; }
  isObject(): bool { return this.kind == JsonKind.Object; }
  isArray(): bool { return this.kind == JsonKind.Array; }
  isString(): bool { return this.kind == JsonKind.String; }
  isNumber(): bool { return this.kind == JsonKind.Number; }

  /** An object's member (the last one, if a key repeats), or null if absent or not an object. */
  get(key: string): JsonValue | null {
    for (let i = this.keys.length - 1; i >= 0; i--) {
      if (this.keys[i] == key) return this.values[i];
    }
    return null;
  }
}

/** Reports errors through `error` instead of throwing: AssemblyScript has no try/catch. */
export class JsonParser {
  private pos: i32 = 0;
  private depth: i32 = 0;
  /** Empty on success; otherwise what is wrong and where. */
  error: string = "";

  constructor(private text: string) {}

  /** Parses the whole text as one JSON value; null and `error` set if it is not one. */
  parse(): JsonValue | null {
    this.skipSpace();
    const v = this.value();
    if (v == null) return null;
    this.skipSpace();
    if (this.pos < this.text.length) return this.fail("trailing characters");
    return v;
  }

  private fail(what: string): JsonValue | null {
    if (this.error.length == 0) this.error = what + " at character " + this.pos.toString();
    return null;
  }

  private skipSpace(): void {
    while (this.pos < this.text.length) {
      const c = this.text.charCodeAt(this.pos);
      if (c != 0x20 && c != 0x09 && c != 0x0a && c != 0x0d) break;
      this.pos++;
    }
  }

  private literal(word: string): bool {
    if (this.text.substr(this.pos, word.length) != word) return false;
    this.pos += word.length;
    return true;
  }

  private value(): JsonValue | null {
    if (this.pos >= this.text.length) return this.fail("unexpected end of input");
    const c = this.text.charCodeAt(this.pos);
    const v = new JsonValue();
    if (c == 0x7b) { // {
      if (++this.depth > 128) return this.fail("nested too deeply");
      this.pos++;
      v.kind = JsonKind.Object;
      this.skipSpace();
      if (this.peek() == 0x7d) { this.pos++; this.depth--; return v; }
      while (true) {
        this.skipSpace();
        if (this.peek() != 0x22) return this.fail("expected a string key");
        const key = this.string();
        if (key == null) return null;
        this.skipSpace();
        if (this.peek() != 0x3a) return this.fail("expected ':'");
        this.pos++;
        this.skipSpace();
        const member = this.value();
        if (member == null) return null;
        v.keys.push(key);
        v.values.push(member);
        this.skipSpace();
        const d = this.peek();
        this.pos++;
        if (d == 0x2c) continue;
        if (d == 0x7d) break;
        this.pos--;
        return this.fail("expected ',' or '}'");
      }
      this.depth--;
      return v;
    }
    if (c == 0x5b) { // [
      if (++this.depth > 128) return this.fail("nested too deeply");
      this.pos++;
      v.kind = JsonKind.Array;
      this.skipSpace();
      if (this.peek() == 0x5d) { this.pos++; this.depth--; return v; }
      while (true) {
        this.skipSpace();
        const item = this.value();
        if (item == null) return null;
        v.items.push(item);
        this.skipSpace();
        const d = this.peek();
        this.pos++;
        if (d == 0x2c) continue;
        if (d == 0x5d) break;
        this.pos--;
        return this.fail("expected ',' or ']'");
      }
      this.depth--;
      return v;
    }
    if (c == 0x22) {
      const s = this.string();
      if (s == null) return null;
      v.kind = JsonKind.String;
      v.str = s;
      return v;
    }
    if (this.literal("null")) return v;
    if (this.literal("true")) { v.kind = JsonKind.Bool; v.bool = true; return v; }
    if (this.literal("false")) { v.kind = JsonKind.Bool; return v; }
    if (c == 0x2d || (c >= 0x30 && c <= 0x39)) return this.number(v);
    return this.fail("expected a value");
  }

  private peek(): i32 {
    return this.pos < this.text.length ? this.text.charCodeAt(this.pos) : -1;
  }

  private digits(): i32 {
    const start = this.pos;
    while (this.pos < this.text.length) {
      const c = this.text.charCodeAt(this.pos);
      if (c < 0x30 || c > 0x39) break;
      this.pos++;
    }
    return this.pos - start;
  }

  private number(v: JsonValue): JsonValue | null {
    const start = this.pos;
    let integral = true;
    if (this.peek() == 0x2d) { this.pos++; integral = false; }
    const intStart = this.pos;
    const n = this.digits();
    if (n == 0) return this.fail("expected a digit");
    if (n > 1 && this.text.charCodeAt(intStart) == 0x30) return this.fail("leading zero in a number");
    if (this.peek() == 0x2e) {
      this.pos++;
      integral = false;
      if (this.digits() == 0) return this.fail("expected a digit after '.'");
    }
    const e = this.peek();
    if (e == 0x65 || e == 0x45) {
      this.pos++;
      integral = false;
      const s = this.peek();
      if (s == 0x2b || s == 0x2d) this.pos++;
      if (this.digits() == 0) return this.fail("expected a digit in the exponent");
    }
    const token = this.text.substring(start, this.pos);
    v.kind = JsonKind.Number;
    v.num = F64.parseFloat(token);
    // serde_json keeps integers up to u64::MAX exact (20 digits at most).
    if (integral && n <= 20) {
      let u: u64 = 0;
      let overflow = false;
      for (let i = intStart; i < this.pos; i++) {
        const d = <u64>(this.text.charCodeAt(i) - 0x30);
        if (u > (U64.MAX_VALUE - d) / 10) { overflow = true; break; }
        u = u * 10 + d;
      }
      if (!overflow) { v.isUnsignedInt = true; v.uint = u; }
    }
    return v;
  }

  private hex4(): i32 {
    if (this.pos + 4 > this.text.length) return -1;
    let r = 0;
    for (let i = 0; i < 4; i++) {
      const c = this.text.charCodeAt(this.pos + i);
      let d: i32;
      if (c >= 0x30 && c <= 0x39) d = c - 0x30;
      else if (c >= 0x61 && c <= 0x66) d = c - 0x61 + 10;
      else if (c >= 0x41 && c <= 0x46) d = c - 0x41 + 10;
      else return -1;
      r = r * 16 + d;
    }
    this.pos += 4;
    return r;
  }

  private string(): string | null {
    this.pos++; // the opening quote
    const parts: string[] = [];
    let start = this.pos;
    while (true) {
      if (this.pos >= this.text.length) { this.fail("unterminated string"); return null; }
      const c = this.text.charCodeAt(this.pos);
      if (c == 0x22) break;
      if (c < 0x20) { this.fail("control character in a string"); return null; }
      if (c != 0x5c) { this.pos++; continue; }
      parts.push(this.text.substring(start, this.pos));
      this.pos++;
      const esc = this.peek();
      this.pos++;
      if (esc == 0x22) parts.push("\"");
      else if (esc == 0x5c) parts.push("\\");
      else if (esc == 0x2f) parts.push("/");
      else if (esc == 0x62) parts.push("\b");
      else if (esc == 0x66) parts.push("\f");
      else if (esc == 0x6e) parts.push("\n");
      else if (esc == 0x72) parts.push("\r");
      else if (esc == 0x74) parts.push("\t");
      else if (esc == 0x75) {
        const u = this.hex4();
        if (u < 0) { this.fail("bad \\u escape"); return null; }
        parts.push(String.fromCharCode(u));
      } else { this.pos--; this.fail("bad escape"); return null; }
      start = this.pos;
    }
    parts.push(this.text.substring(start, this.pos));
    this.pos++; // the closing quote
    return parts.join("");
  }
}

const HEX = "0123456789abcdef";

/** `s` as a JSON string literal, escaped the way serde_json escapes. */
export function jsonString(s: string): string {
  const parts: string[] = ["\""];
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let esc: string | null = null;
    if (c == 0x22) esc = "\\\"";
    else if (c == 0x5c) esc = "\\\\";
    else if (c == 0x0a) esc = "\\n";
    else if (c == 0x0d) esc = "\\r";
    else if (c == 0x09) esc = "\\t";
    else if (c == 0x08) esc = "\\b";
    else if (c == 0x0c) esc = "\\f";
    else if (c < 0x20) esc = "\\u00" + HEX.charAt(c >> 4) + HEX.charAt(c & 15);
    if (esc != null) {
      parts.push(s.substring(start, i));
      parts.push(esc);
      start = i + 1;
    }
  }
  parts.push(s.substring(start));
  parts.push("\"");
  return parts.join("");
}

/** Integer cents as a JSON number in units, the way serde_json prints cents / 100.0 (2410 -> 24.1, 2500 -> 25.0). */
export function centsToJson(cents: u64): string {
  const units = cents / 100;
  const frac = <i32>(cents % 100);
  let fraction: string;
  if (frac == 0) fraction = "0";
  else if (frac % 10 == 0) fraction = (frac / 10).toString();
  else fraction = (frac < 10 ? "0" : "") + frac.toString();
  return units.toString() + "." + fraction;
}
