/*
 * pg_server.h - a throwaway PostgreSQL server for tests: initdb in a fresh temporary folder (as the
 * `postgres` user when the tests run as root, since PostgreSQL refuses to run as root), a postmaster
 * listening on 127.0.0.1 and a free port with password (SCRAM) login for the user "omsgw", started
 * as a child that dies with the test process, stopped and removed at the end. Nothing outside its
 * own folder is touched. Free of cmocka, so the benchmark uses it too: each call that can fail
 * returns 0, or -1 after saying why on stderr.
 */
#ifndef TEST_PG_SERVER_H
#define TEST_PG_SERVER_H

#include <stddef.h>
#include <sys/types.h>

#define TH_PG_USER "omsgw"
#define TH_PG_PASSWORD "s3cret-Pg-pass"

typedef struct th_pg {
    char dir[256];      /* the cluster lives in <dir>/data, its log in <dir>/postgres.log */
    char bin_dir[256];  /* where initdb and postgres are */
    int port;
    pid_t pid;          /* the postmaster, 0 when stopped */
    int durable;        /* fsync on (benchmarks) or off (tests: faster, PostgreSQL itself is not killed) */
} th_pg;

/* 1 when a PostgreSQL server (initdb, postgres) is installed on this machine. */
int th_pg_available(void);

/* initdb + start. `durable` 0 turns fsync off to keep test runs short. */
int th_pg_start(th_pg *pg, int durable);

/* Fast shutdown (SIGINT) and wait; the cluster stays for th_pg_restart. */
void th_pg_stop(th_pg *pg);

/* Starts the stopped cluster again on the same port. */
int th_pg_restart(th_pg *pg);

/* Stops if running and removes the folder. */
void th_pg_cleanup(th_pg *pg);

/* Creates a fresh database `name` and writes its postgresql:// URL (with the password) into url. */
int th_pg_create_database(th_pg *pg, const char *name, char *url, size_t size);

/* The URL of an existing database `name`. */
void th_pg_url(const th_pg *pg, const char *name, char *url, size_t size);

#endif
