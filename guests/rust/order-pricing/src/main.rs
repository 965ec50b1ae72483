//! order-pricing: a realistic business step. Validates an order and prices it.
//!
//! Input:
//! ```json
//! {"orderId":"A-1",
//!  "customer":{"tier":"gold","country":"DE"},
//!  "lines":[{"sku":"X","quantity":2,"unitPrice":12.5}],
//!  "couponCode":"SAVE10"}
//! ```
//! - `orderId`: non-empty string.
//! - `customer.tier`: `"gold"` (10% off), `"silver"` (5% off) or `"standard"`.
//! - `customer.country`: two-letter country code (any case); picks the VAT rate.
//! - `lines`: 1..=1000 entries; `sku` non-empty string, `quantity` integer in
//!   1..=1000000, `unitPrice` in EUR, 0..=1000000 with at most two decimals.
//! - `couponCode` (optional, may be null): `SAVE10` (10% off) or `WELCOME5` (5.00 EUR off).
//!
//! Output (fields always in this order; money in EUR as JSON numbers, exact to the
//! cent because everything is computed in integer cents and converted at the end):
//! ```json
//! {"orderId":"A-1","currency":"EUR","lineCount":1,"itemCount":2,
//!  "subtotal":25.0,"tierDiscount":2.5,"couponDiscount":2.25,"discount":4.75,
//!  "taxRatePercent":19,"tax":3.85,"total":24.1}
//! ```
//! - `subtotal` = sum of quantity x unitPrice
//! - `tierDiscount` = tier% of subtotal; `couponDiscount` applies to what is left
//! - `discount` = tierDiscount + couponDiscount
//! - `tax` = VAT% of (subtotal - discount); `total` = subtotal - discount + tax
//! - percentages round half up to the cent.
//!
//! Business errors (exit code 3): `INVALID_INPUT` (not a JSON object), `INVALID_ORDER`
//! (any validation failure; `details.field` names the offending field, e.g.
//! `lines[0].quantity`) and `UNKNOWN_COUPON` (`details.couponCode`).
//!
//! The output depends on the input only (no clock, no randomness), so retries and
//! replays give byte-identical results.

use serde::ser::{Serialize, SerializeStruct, Serializer};
use serde_json::{json, Value};
use wasm_worker_guest::{run, BusinessError};

/// Inputs, outputs and error codes, for `wasm-worker templates` (guests/ABI.md, "Describing a
/// guest"): the bytes of description.json in the module's custom section.
#[link_section = "wasm-worker.description"]
#[used]
static DESCRIPTION: [u8; include_bytes!("../description.json").len()] = *include_bytes!("../description.json");

const MAX_LINES: usize = 1000;
const MAX_QUANTITY: u64 = 1_000_000;
const MAX_UNIT_PRICE_CENTS: u64 = 100_000_000; // 1,000,000.00 EUR
/// Caps the subtotal (100 billion EUR) so every amount stays far below 2^53 cents:
/// exact as a JSON number (an IEEE double) and safe from overflow in `percent_of`.
const MAX_SUBTOTAL_CENTS: u64 = 10_000_000_000_000;

/// VAT rates in percent by country; any other country pays `DEFAULT_VAT_PERCENT`.
const VAT_PERCENT: &[(&str, u64)] = &[
    ("AT", 20),
    ("BE", 21),
    ("DE", 19),
    ("ES", 21),
    ("FR", 20),
    ("IT", 22),
    ("LU", 17),
    ("NL", 21),
];
const DEFAULT_VAT_PERCENT: u64 = 20;

enum Coupon {
    Percent(u64),
    FixedCents(u64),
}

fn coupon(code: &str) -> Option<Coupon> {
    match code {
        "SAVE10" => Some(Coupon::Percent(10)),
        "WELCOME5" => Some(Coupon::FixedCents(500)),
        _ => None,
    }
}

fn tier_discount_percent(tier: &str) -> Option<u64> {
    match tier {
        "gold" => Some(10),
        "silver" => Some(5),
        "standard" => Some(0),
        _ => None,
    }
}

/// `percent`% of `cents`, rounded half up. Callers keep `cents` <= MAX_SUBTOTAL_CENTS,
/// so the product cannot overflow.
fn percent_of(cents: u64, percent: u64) -> u64 {
    (cents * percent + 50) / 100
}

/// Integer cents to EUR as a JSON number. n / 100.0 is the double nearest to the exact
/// decimal, and serde_json prints the shortest text that reads back as that double,
/// so the output is the exact decimal (e.g. 2410 -> 24.1).
fn eur(cents: u64) -> f64 {
    cents as f64 / 100.0
}

fn invalid(field: &str, message: &str) -> BusinessError {
    BusinessError::new("INVALID_ORDER", message).with_details(json!({ "field": field }))
}

struct Priced {
    order_id: String,
    line_count: usize,
    item_count: u64,
    subtotal: u64,
    tier_discount: u64,
    coupon_discount: u64,
    tax_rate_percent: u64,
    tax: u64,
}

impl Priced {
    fn discount(&self) -> u64 {
        self.tier_discount + self.coupon_discount
    }

    fn total(&self) -> u64 {
        self.subtotal - self.discount() + self.tax
    }
}

/// Hand-written instead of derived: keeps the documented field order (a
/// `serde_json::Map` would sort the keys) without pulling in serde_derive, whose
/// proc-macro dependencies would triple the build time.
impl Serialize for Priced {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("Priced", 11)?;
        s.serialize_field("orderId", &self.order_id)?;
        s.serialize_field("currency", "EUR")?;
        s.serialize_field("lineCount", &self.line_count)?;
        s.serialize_field("itemCount", &self.item_count)?;
        s.serialize_field("subtotal", &eur(self.subtotal))?;
        s.serialize_field("tierDiscount", &eur(self.tier_discount))?;
        s.serialize_field("couponDiscount", &eur(self.coupon_discount))?;
        s.serialize_field("discount", &eur(self.discount()))?;
        s.serialize_field("taxRatePercent", &self.tax_rate_percent)?;
        s.serialize_field("tax", &eur(self.tax))?;
        s.serialize_field("total", &eur(self.total()))?;
        s.end()
    }
}

/// A non-empty string field, or INVALID_ORDER naming `path`.
fn required_str<'a>(value: &'a Value, path: &str) -> Result<&'a str, BusinessError> {
    match value.as_str() {
        Some(s) if !s.is_empty() => Ok(s),
        _ => Err(invalid(path, &format!("{} must be a non-empty string", path))),
    }
}

/// A price in EUR (JSON number) as integer cents: finite, >= 0, at most two decimals.
fn price_cents(value: &Value, path: &str) -> Result<u64, BusinessError> {
    let eur = value
        .as_f64()
        .ok_or_else(|| invalid(path, &format!("{} must be a number", path)))?;
    if !(0.0..=(MAX_UNIT_PRICE_CENTS / 100) as f64).contains(&eur) {
        return Err(invalid(path, &format!("{} must be between 0 and 1000000", path)));
    }
    let cents = (eur * 100.0).round();
    // Tolerance for binary floating point: 0.29 * 100 is 28.999999999999996.
    if (eur * 100.0 - cents).abs() > 1e-6 {
        return Err(invalid(path, &format!("{} must not have more than two decimals", path)));
    }
    Ok(cents as u64)
}

fn price(order: &Value) -> Result<Priced, BusinessError> {
    if !order.is_object() {
        return Err(BusinessError::new("INVALID_INPUT", "input must be a JSON object"));
    }
    let order_id = required_str(&order["orderId"], "orderId")?;

    let customer = &order["customer"];
    if !customer.is_object() {
        return Err(invalid("customer", "customer must be an object"));
    }
    let tier = required_str(&customer["tier"], "customer.tier")?;
    let tier_percent = tier_discount_percent(tier).ok_or_else(|| {
        invalid(
            "customer.tier",
            &format!("unknown customer.tier {:?} (expected gold, silver or standard)", tier),
        )
    })?;
    let country = required_str(&customer["country"], "customer.country")?;
    if country.len() != 2 || !country.bytes().all(|b| b.is_ascii_alphabetic()) {
        return Err(invalid(
            "customer.country",
            "customer.country must be a two-letter country code",
        ));
    }
    let country = country.to_ascii_uppercase();

    let lines = order["lines"]
        .as_array()
        .ok_or_else(|| invalid("lines", "lines must be an array"))?;
    if lines.is_empty() || lines.len() > MAX_LINES {
        return Err(invalid("lines", "lines must have between 1 and 1000 entries"));
    }
    let mut subtotal: u64 = 0;
    let mut item_count: u64 = 0;
    for (i, line) in lines.iter().enumerate() {
        let at = |field: &str| format!("lines[{}].{}", i, field);
        if !line.is_object() {
            return Err(invalid(&format!("lines[{}]", i), "each line must be an object"));
        }
        required_str(&line["sku"], &at("sku"))?;
        let quantity = line["quantity"]
            .as_u64()
            .filter(|q| (1..=MAX_QUANTITY).contains(q))
            .ok_or_else(|| {
                let path = at("quantity");
                invalid(&path, &format!("{} must be an integer between 1 and 1000000", path))
            })?;
        let unit_cents = price_cents(&line["unitPrice"], &at("unitPrice"))?;
        // Both factors are capped, so neither this product nor the running sum (at most
        // 1000 lines) can overflow a u64 before the limit check below.
        subtotal += quantity * unit_cents;
        item_count += quantity;
    }
    if subtotal > MAX_SUBTOTAL_CENTS {
        return Err(invalid("lines", "order subtotal exceeds 100000000000 EUR"));
    }

    let tier_discount = percent_of(subtotal, tier_percent);
    let after_tier = subtotal - tier_discount;
    let coupon_discount = match &order["couponCode"] {
        Value::Null => 0,
        Value::String(code) => match coupon(code) {
            Some(Coupon::Percent(p)) => percent_of(after_tier, p),
            Some(Coupon::FixedCents(c)) => c.min(after_tier), // never below zero
            None => {
                return Err(BusinessError::new(
                    "UNKNOWN_COUPON",
                    format!("unknown coupon code {:?}", code),
                )
                .with_details(json!({ "couponCode": code })))
            }
        },
        _ => return Err(invalid("couponCode", "couponCode must be a string or null")),
    };

    let tax_rate_percent = VAT_PERCENT
        .iter()
        .find(|(c, _)| *c == country)
        .map_or(DEFAULT_VAT_PERCENT, |&(_, rate)| rate);
    let tax = percent_of(after_tier - coupon_discount, tax_rate_percent);

    Ok(Priced {
        order_id: order_id.to_string(),
        line_count: lines.len(),
        item_count,
        subtotal,
        tier_discount,
        coupon_discount,
        tax_rate_percent,
        tax,
    })
}

fn main() {
    run(|order: Value| price(&order))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn priced(input: Value) -> String {
        serde_json::to_string(&price(&input).unwrap()).unwrap()
    }

    fn error(input: Value) -> BusinessError {
        match price(&input) {
            Ok(_) => panic!("expected a business error"),
            Err(e) => e,
        }
    }

    #[test]
    fn prices_the_documented_example() {
        let out = priced(json!({"orderId":"A-1","customer":{"tier":"gold","country":"DE"},
            "lines":[{"sku":"X","quantity":2,"unitPrice":12.5}],"couponCode":"SAVE10"}));
        assert_eq!(
            out,
            r#"{"orderId":"A-1","currency":"EUR","lineCount":1,"itemCount":2,"subtotal":25.0,"tierDiscount":2.5,"couponDiscount":2.25,"discount":4.75,"taxRatePercent":19,"tax":3.85,"total":24.1}"#
        );
    }

    #[test]
    fn cents_stay_exact() {
        let out = priced(json!({"orderId":"B","customer":{"tier":"standard","country":"xx"},
            "lines":[{"sku":"a","quantity":3,"unitPrice":0.1},{"sku":"b","quantity":1,"unitPrice":0.29}]}));
        assert!(out.contains(r#""subtotal":0.59,"#), "{}", out);
        assert!(out.contains(r#""taxRatePercent":20,"tax":0.12,"total":0.71"#), "{}", out);
    }

    #[test]
    fn fixed_coupon_never_makes_total_negative() {
        let out = priced(json!({"orderId":"C","customer":{"tier":"standard","country":"FR"},
            "lines":[{"sku":"a","quantity":1,"unitPrice":3}],"couponCode":"WELCOME5"}));
        assert!(out.contains(r#""couponDiscount":3.0,"discount":3.0,"taxRatePercent":20,"tax":0.0,"total":0.0"#), "{}", out);
    }

    #[test]
    fn validation_errors() {
        let base = json!({"orderId":"D","customer":{"tier":"gold","country":"NL"},
            "lines":[{"sku":"a","quantity":1,"unitPrice":1}]});
        let with = |path: &str, v: Value| {
            let mut o = base.clone();
            *o.pointer_mut(path).unwrap() = v;
            o
        };
        assert_eq!(error(with("/lines", json!([]))).code, "INVALID_ORDER");
        let e = error(with("/lines/0/quantity", json!(0)));
        assert_eq!(e.details, Some(json!({"field":"lines[0].quantity"})));
        assert_eq!(error(with("/lines/0/quantity", json!(1.5))).code, "INVALID_ORDER");
        assert_eq!(error(with("/lines/0/unitPrice", json!(-1))).code, "INVALID_ORDER");
        assert_eq!(error(with("/lines/0/unitPrice", json!(1.001))).code, "INVALID_ORDER");
        assert_eq!(error(with("/customer/tier", json!("platinum"))).code, "INVALID_ORDER");
        let mut o = base.clone();
        o["couponCode"] = json!("FREE");
        assert_eq!(error(o).code, "UNKNOWN_COUPON");
        assert_eq!(error(json!([1])).code, "INVALID_INPUT");
    }
}
