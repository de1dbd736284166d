#!/usr/bin/env python3
"""Writes the golden files of tests/unit/test_translate_golden.c.

The expected output is computed here, in Python, straight from the rules of
../shared/spec/decisions.md ("Translation") and oci-api.md (§2.2 batch-update, §3.2 import file),
independently of the C code it checks. Run it from anywhere after changing a case:
    python3 tests/data/translate/make_golden.py
"""
import datetime
import hashlib
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
ACCEPTED = "2024-05-01T10:00:00.123Z"


def record_id(tenant, job, index, installation=""):
    # The job id and item index first (ids sort in production order), then a SHA-256 of
    # (installation, tenant, job, index); version 8, RFC 4122 variant. See translate/item.h.
    h = hashlib.sha256(b"omsgw.refresh-record\n" + f"{installation}/{tenant}/{job}/{index}".encode()).digest()
    b = bytearray(16)
    b[0:6] = job.to_bytes(6, "big")
    b[6] = 0x80 | ((index >> 20) & 0x0F)
    b[7] = (index >> 12) & 0xFF
    b[8] = 0x80 | ((index >> 6) & 0x3F)
    b[9] = ((index & 0x3F) << 2) | (h[0] & 0x03)
    b[10:16] = h[1:7]
    x = bytes(b).hex()
    return f"{x[0:8]}-{x[8:12]}-{x[12:16]}-{x[16:20]}-{x[20:32]}"


def whole(value):
    if isinstance(value, str):
        return int(value)
    return int(value)


def oci_location(tenant, request):
    name = request.get("locationName", request.get("locationCode"))
    if name in tenant.get("locations", {}):
        return tenant["locations"][name]
    assert tenant.get("autoLocations"), name
    # Byte by byte, as the gateway does: every byte outside [A-Za-z0-9_-] becomes '-'.
    return "".join(chr(b) if (chr(b).isascii() and (chr(b).isalnum() or chr(b) in "_-")) else "-"
                   for b in name.encode())[:128]


def translate(case):
    tenant, request = case["tenant"], case["request"]
    order = tenant.get("skuFrom", ["sku", "partNumber", "upc"])
    floor_mode = tenant.get("floor", "max")
    location = oci_location(tenant, request)
    records = []
    for index, item in enumerate(request["items"]):
        sku = next(item[key] for key in order if isinstance(item.get(key), str) and item[key])
        safety = whole(item.get("safetyStock", 0))
        floor = whole(item.get("floor", 0))
        safety_count = {"max": max(safety, floor), "sum": safety + floor, "ignore": safety}[floor_mode]
        records.append({"id": record_id(tenant["id"], case["jobId"], index), "location": location, "sku": sku,
                        "onHand": whole(item["quantity"]), "safetyStockCount": safety_count,
                        "effectiveDate": case["acceptedAt"]})
    return records


def text(value):
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def import_lines(records):
    first = {}
    for index, record in enumerate(records):
        first.setdefault(record["sku"], index)
    ordered = sorted(range(len(records)), key=lambda i: (first[records[i]["sku"]], i))
    lines = []
    for i in ordered:
        r = records[i]
        lines.append(text({"recordId": r["id"], "locationId": r["location"], "sku": r["sku"], "onHand": r["onHand"],
                           "safetyStockCount": r["safetyStockCount"], "effectiveDate": r["effectiveDate"]}))
    return lines


def batch_body(records):
    if len(records) > 100:
        return None
    return text({"records": records})


ITEMS_FIELD_RULES = [
    {"sku": "SKU-ONLY", "quantity": 5},
    {"partNumber": "PN-ONLY", "quantity": 6},
    {"upc": "012345678905", "quantity": 7},
    {"sku": "SKU-WINS", "partNumber": "PN-LOSES", "upc": "999", "quantity": 8},
    {"sku": "", "partNumber": "PN-WHEN-SKU-EMPTY", "quantity": 9},
    {"sku": "NUMERIC-STRING", "quantity": "101"},
    {"sku": "ZERO", "quantity": 0},
    {"sku": "SAFETY-ONLY", "quantity": 10, "safetyStock": 3},
    {"sku": "FLOOR-ONLY", "quantity": 10, "floor": 4},
    {"sku": "FLOOR-BIGGER", "quantity": 10, "safetyStock": 2, "floor": 5},
    {"sku": "SAFETY-BIGGER", "quantity": 10, "safetyStock": 6, "floor": 1},
    {"sku": "EXTRAS", "quantity": 11, "binID": 3, "ltd": "4.5", "retailPrice": 19.99, "currencyID": 840,
     "inventoryLocatorName": "Aisle 4", "attributes": ["a", "b"], "manufacturerID": "ignored"},
    {"sku": "BIG", "quantity": 1000000000000},
    {"sku": "DOUBLE-QTY", "quantity": 12.0},
]

CASES = {
    "field-rules-floor-max": {
        "description": "Every field rule with floor mode max (the default): identifier choice, numeric "
                       "strings, zero, safety stock and floor, extras that have no OCI field.",
        "tenant": {"id": 12345, "floor": "max", "locations": {"Location 1": "warehouse-1"}},
        "jobId": 42, "request": {"locationName": "Location 1", "items": ITEMS_FIELD_RULES}},
    "field-rules-floor-sum": {
        "description": "The same items with floor mode sum: safetyStockCount = safetyStock + floor.",
        "tenant": {"id": 12345, "floor": "sum", "locations": {"Location 1": "warehouse-1"}},
        "jobId": 43, "request": {"locationName": "Location 1", "items": ITEMS_FIELD_RULES}},
    "field-rules-floor-ignore": {
        "description": "The same items with floor mode ignore: safetyStockCount = safetyStock.",
        "tenant": {"id": 12345, "floor": "ignore", "locations": {"Location 1": "warehouse-1"}},
        "jobId": 44, "request": {"locationName": "Location 1", "items": ITEMS_FIELD_RULES}},
    "duplicate-skus": {
        "description": "The same SKU several times: every item becomes a record (the later applies last); "
                       "the import file groups lines by SKU in order of first appearance, request order inside.",
        "tenant": {"id": 23456, "floor": "max", "locations": {"Location 1": "warehouse-1"}},
        "jobId": 7, "request": {"locationName": "Location 1", "items": [
            {"sku": "DUP-A", "quantity": 1}, {"sku": "OTHER-1", "quantity": 2}, {"sku": "DUP-B", "quantity": 3},
            {"sku": "DUP-A", "quantity": 4, "safetyStock": 1}, {"partNumber": "DUP-B", "quantity": 5},
            {"sku": "OTHER-2", "quantity": 6}, {"sku": "DUP-A", "quantity": 7}]}},
    "identifier-order": {
        "description": "Tenant skuFrom [upc, partNumber, sku]: the first non-empty identifier in that order.",
        "tenant": {"id": 34567, "floor": "max", "skuFrom": ["upc", "partNumber", "sku"],
                   "locations": {"Store": "store-downtown"}},
        "jobId": 9, "request": {"locationName": "Store", "items": [
            {"sku": "S1", "partNumber": "P1", "upc": "U1", "quantity": 1},
            {"sku": "S2", "partNumber": "P2", "quantity": 2},
            {"sku": "S3", "upc": "", "partNumber": "P3", "quantity": 3},
            {"sku": "S4", "quantity": 4},
            {"sku": "S5", "upc": "U5", "quantity": 5}]}},
    "unicode-and-escapes": {
        "description": "UTF-8 SKUs are written as they are; quotes and control characters are escaped; "
                       "an autoLocations tenant derives the location id from a non-ASCII name byte by byte.",
        "tenant": {"id": 45678, "floor": "max", "autoLocations": True, "locations": {}},
        "jobId": 1234567890123, "request": {"locationCode": "Lager München", "items": [
            {"sku": "café-crème", "quantity": 1},
            {"sku": "商品-01", "quantity": 2},
            {"sku": "emoji-😀", "quantity": 3},
            {"sku": "quote\"in-sku", "quantity": 4},
            {"sku": "ctl\u0001char\u007f", "quantity": 5},
            {"sku": "ΩΩ", "partNumber": "long-" + "x" * 240, "quantity": 6}]}},
}

# Over the batch-update limit: only the import file applies.
CASES["over-batch-limit"] = {
    "description": "101 items: more than one batch-update call can carry, so only the import file is pinned.",
    "tenant": {"id": 12345, "floor": "max", "locations": {"Location 2": "warehouse-2"}},
    "jobId": 100, "request": {"locationName": "Location 2",
                              "items": [{"sku": f"BULK-{i % 97:03d}", "quantity": i} for i in range(101)]}}


def main():
    for name, case in CASES.items():
        case = dict(case)
        case["acceptedAt"] = ACCEPTED
        records = translate(case)
        case["importFile"] = import_lines(records)
        case["batchUpdate"] = batch_body(records)
        with open(os.path.join(HERE, name + ".json"), "w", encoding="utf-8") as out:
            json.dump(case, out, ensure_ascii=False, indent=1)
            out.write("\n")


if __name__ == "__main__":
    main()
