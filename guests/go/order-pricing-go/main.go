// order-pricing-go: guests/rust/order-pricing in Go, with the same validation,
// arithmetic and output, byte for byte (see the Rust guest's main.rs for the input and
// output).
package main

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"

	ww "wasmworker.io/guests/wasmworker"
)

const (
	maxLines          = 1000
	maxQuantity       = 1000000
	maxUnitPriceCents = 100000000 // 1,000,000.00 EUR
	// Keeps every amount far below 2^53 cents (exact as a double, no overflow in percentOf).
	maxSubtotalCents  = 10000000000000
	defaultVatPercent = 20
)

var vatPercent = map[string]uint64{"AT": 20, "BE": 21, "DE": 19, "ES": 21, "FR": 20, "IT": 22, "LU": 17, "NL": 21}

var tierPercent = map[string]uint64{"gold": 10, "silver": 5, "standard": 0}

// percentOf is percent% of cents, rounded half up.
func percentOf(cents, percent uint64) uint64 { return (cents*percent + 50) / 100 }

// quoted is Rust's {:?} of a string, which the Rust guest's messages use.
func quoted(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

func invalid(field, message string) {
	ww.BusinessError("INVALID_ORDER", message, map[string]string{"field": field})
}

// requiredStr is a non-empty string member, or INVALID_ORDER naming path.
func requiredStr(v any, path string) string {
	s, ok := v.(string)
	if !ok || s == "" {
		invalid(path, path+" must be a non-empty string")
	}
	return s
}

// priceCents is a price in EUR as integer cents: finite, >= 0, at most two decimals.
func priceCents(v any, path string) uint64 {
	n, ok := v.(json.Number)
	if !ok {
		invalid(path, path+" must be a number")
	}
	eur, err := strconv.ParseFloat(string(n), 64)
	if err != nil && !math.IsInf(eur, 0) {
		invalid(path, path+" must be a number")
	}
	if !(eur >= 0 && eur <= maxUnitPriceCents/100) {
		invalid(path, path+" must be between 0 and 1000000")
	}
	cents := math.Round(eur * 100)
	// Tolerance for binary floating point: 0.29 * 100 is 28.999999999999996.
	if math.Abs(eur*100-cents) > 1e-6 {
		invalid(path, path+" must not have more than two decimals")
	}
	return uint64(cents)
}

// quantity is serde_json's as_u64: a number written as a non-negative integer.
func quantity(v any) (uint64, bool) {
	n, ok := v.(json.Number)
	if !ok || strings.ContainsAny(string(n), "-.eE") {
		return 0, false
	}
	q, err := strconv.ParseUint(string(n), 10, 64)
	return q, err == nil
}

func isASCIILetter(c byte) bool { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') }

func main() {
	order, ok := ww.ReadInputJSON().(map[string]any)
	if !ok {
		ww.BusinessError("INVALID_INPUT", "input must be a JSON object", nil)
	}
	orderID := requiredStr(order["orderId"], "orderId")

	customer, ok := order["customer"].(map[string]any)
	if !ok {
		invalid("customer", "customer must be an object")
	}
	tier := requiredStr(customer["tier"], "customer.tier")
	tierDiscountPercent, ok := tierPercent[tier]
	if !ok {
		invalid("customer.tier", "unknown customer.tier "+quoted(tier)+" (expected gold, silver or standard)")
	}
	country := requiredStr(customer["country"], "customer.country")
	if len(country) != 2 || !isASCIILetter(country[0]) || !isASCIILetter(country[1]) {
		invalid("customer.country", "customer.country must be a two-letter country code")
	}
	country = strings.ToUpper(country)

	lines, ok := order["lines"].([]any)
	if !ok {
		invalid("lines", "lines must be an array")
	}
	if len(lines) == 0 || len(lines) > maxLines {
		invalid("lines", "lines must have between 1 and 1000 entries")
	}
	var subtotal, itemCount uint64
	for i, l := range lines {
		at := fmt.Sprintf("lines[%d].", i)
		line, ok := l.(map[string]any)
		if !ok {
			invalid(fmt.Sprintf("lines[%d]", i), "each line must be an object")
		}
		requiredStr(line["sku"], at+"sku")
		q, ok := quantity(line["quantity"])
		if !ok || q < 1 || q > maxQuantity {
			invalid(at+"quantity", at+"quantity must be an integer between 1 and 1000000")
		}
		unitCents := priceCents(line["unitPrice"], at+"unitPrice")
		subtotal += q * unitCents
		itemCount += q
	}
	if subtotal > maxSubtotalCents {
		invalid("lines", "order subtotal exceeds 100000000000 EUR")
	}

	tierDiscount := percentOf(subtotal, tierDiscountPercent)
	afterTier := subtotal - tierDiscount
	var couponDiscount uint64
	switch code := order["couponCode"].(type) {
	case nil:
	case string:
		switch code {
		case "SAVE10":
			couponDiscount = percentOf(afterTier, 10)
		case "WELCOME5":
			couponDiscount = min(500, afterTier) // never below zero
		default:
			ww.BusinessError("UNKNOWN_COUPON", "unknown coupon code "+quoted(code), map[string]string{"couponCode": code})
		}
	default:
		invalid("couponCode", "couponCode must be a string or null")
	}

	taxRatePercent, ok := vatPercent[country]
	if !ok {
		taxRatePercent = defaultVatPercent
	}
	tax := percentOf(afterTier-couponDiscount, taxRatePercent)
	discount := tierDiscount + couponDiscount

	ww.WriteOutput([]byte(fmt.Sprintf(
		`{"orderId":%s,"currency":"EUR","lineCount":%d,"itemCount":%d,"subtotal":%s,"tierDiscount":%s,`+
			`"couponDiscount":%s,"discount":%s,"taxRatePercent":%d,"tax":%s,"total":%s}`,
		ww.JSONString(orderID), len(lines), itemCount, ww.Cents(subtotal), ww.Cents(tierDiscount),
		ww.Cents(couponDiscount), ww.Cents(discount), taxRatePercent, ww.Cents(tax), ww.Cents(subtotal-discount+tax))))
}
