/*
 * record_json.h - reading the quantity fields of an availability update from a JSON object
 * (batch-update records and PUT/PATCH bodies): onHand, safetyStockCount, effectiveDate and the
 * futures array (named "futureStock" there). Pure: the strings of `update` are not touched.
 */
#ifndef OCI_RECORD_JSON_H
#define OCI_RECORD_JSON_H

#include <json-c/json.h>

#include "oci_core/oci_core.h"

#define OCI_FIELD_MAX 64

/*
 * Fills the quantity fields of `update`. `null_is_absent`: a JSON null leaves the field alone
 * (PATCH, batch-update) instead of being an error (PUT). Returns 0, or -1 with `field` naming the
 * offending member and `message` one sentence.
 */
int oci_read_update_fields(const json_object *obj, int null_is_absent, oci_record_update *update,
                           char field[OCI_FIELD_MAX], char message[OCI_MESSAGE_MAX]);

#endif
