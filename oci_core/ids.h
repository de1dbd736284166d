/*
 * ids.h - the identifier rules of OCI (RAML types SkuId, LocationId, GroupId).
 * Pure checks: 1 when valid, 0 otherwise. NULL is never valid.
 */
#ifndef OCI_IDS_H
#define OCI_IDS_H

int oci_valid_sku(const char *sku);             /* 2..250, none of \ < > ; % / or white space */
int oci_valid_reservation_sku(const char *sku); /* the reservation API's SkuId: 1..250, same characters */
int oci_valid_all_or_nothing_id(const char *id); /* 1..128, [a-zA-Z0-9-_] */
int oci_valid_reservation_id(const char *id);     /* 1..OCI_RESERVATION_ID_MAX printable, no '/' */
int oci_valid_location_id(const char *location); /* 2..128, [a-zA-Z0-9-_] */
int oci_valid_group_id(const char *group);       /* 1..128, [a-zA-Z0-9-_] */
int oci_valid_record_id(const char *record_id);  /* 1..128 printable characters */

#endif
