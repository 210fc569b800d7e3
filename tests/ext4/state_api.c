/* SPDX-License-Identifier: MIT */
/*
 * The library side of tests/ext4/state.sh: mbv_ext4_open()'s lock holds
 * for API callers (inside one process too), mbv_ext4_close() releases it,
 * and mbv_ext4_enable() refuses a filesystem in a state it must not write
 * even when the caller opened it with ext2fs_open() itself.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <ext2fs/ext2fs.h>

#include "mbverity.h"

static char dir[] = "/tmp/mbv-state-api.XXXXXX";
static char last_msg[512];

static const char *path(const char *name)
{
	static char buf[4][512];
	static int next;
	char *p = buf[next++ % 4];

	snprintf(p, 512, "%s/%s", dir, name);
	return p;
}

static void on_error(void *ctx, const char *msg)
{
	(void)ctx;
	snprintf(last_msg, sizeof(last_msg), "%s", msg);
}

static void sh(const char *fmt, const char *arg)
{
	char cmd[2048];

	snprintf(cmd, sizeof(cmd), "PATH=$PATH:/usr/sbin:/sbin; cd %s && ", dir);
	snprintf(cmd + strlen(cmd), sizeof(cmd) - strlen(cmd), fmt, arg);
	ck_assert_msg(system(cmd) == 0, "failed: %s", cmd);
}

START_TEST(lock_between_opens)
{
	struct struct_ext2_filsys *w, *r1, *r2, *x;

	ck_assert_int_eq(mbv_ext4_open(path("img"), 1, &w, on_error, NULL), 0);
	/* Another writer, or a reader, beside a writer: at once, -EBUSY. */
	last_msg[0] = 0;
	ck_assert_int_eq(mbv_ext4_open(path("img"), 1, &x, on_error, NULL), -EBUSY);
	ck_assert_ptr_null(x);
	ck_assert_str_eq(last_msg, "image is in use by another process");
	ck_assert_int_eq(mbv_ext4_open(path("img"), 0, &x, on_error, NULL), -EBUSY);
	ck_assert_int_eq(mbv_ext4_close(w, on_error, NULL), 0);
	/* Closed: readers share, a writer still waits for none of them. */
	ck_assert_int_eq(mbv_ext4_open(path("img"), 0, &r1, on_error, NULL), 0);
	ck_assert_int_eq(mbv_ext4_open(path("img"), 0, &r2, on_error, NULL), 0);
	ck_assert_int_eq(mbv_ext4_open(path("img"), 1, &x, on_error, NULL), -EBUSY);
	ck_assert_int_eq(mbv_ext4_close(r1, on_error, NULL), 0);
	ck_assert_int_eq(mbv_ext4_open(path("img"), 1, &x, on_error, NULL), -EBUSY);
	ck_assert_int_eq(mbv_ext4_close(r2, on_error, NULL), 0);
	ck_assert_int_eq(mbv_ext4_open(path("img"), 1, &w, on_error, NULL), 0);
	ck_assert_int_eq(mbv_ext4_close(w, on_error, NULL), 0);
}
END_TEST

START_TEST(lock_across_processes)
{
	struct struct_ext2_filsys *w, *x;
	pid_t pid;
	int st;

	ck_assert_int_eq(mbv_ext4_open(path("img"), 1, &w, on_error, NULL), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		_exit(mbv_ext4_open(path("img"), 1, &x, NULL, NULL) == -EBUSY ? 0 : 1);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	ck_assert_int_eq(mbv_ext4_close(w, on_error, NULL), 0);
}
END_TEST

/* A failed open (here: errors recorded) keeps no lock behind. */
START_TEST(refused_open_unlocks)
{
	struct struct_ext2_filsys *x;

	sh("cp img errors.img && debugfs -w -R 'ssv state 3' errors.img >/dev/null 2>&1", "");
	ck_assert_int_eq(mbv_ext4_open(path("errors.img"), 1, &x, on_error, NULL), -EUCLEAN);
	ck_assert_ptr_nonnull(strstr(last_msg, "run e2fsck"));
	ck_assert_int_eq(mbv_ext4_open(path("errors.img"), 0, &x, on_error, NULL), 0);
	ck_assert_int_eq(mbv_ext4_close(x, on_error, NULL), 0);
}
END_TEST

/* ext2fs_open() by the caller: no lock of ours, but enable checks the state. */
START_TEST(enable_checks_state_itself)
{
	static const char *const states[] = { "ssv state 3", "ssv state 0", "ssv error_count 2",
					      "ssv last_orphan 12" };
	struct mbv_ext4_enable_params p = { .version = 1 };
	ext2_filsys fs;
	uint32_t ino;
	size_t i;

	for (i = 0; i < sizeof(states) / sizeof(states[0]); i++) {
		char cmd[256];

		snprintf(cmd, sizeof(cmd), "cp img s.img && debugfs -w -R '%s' s.img >/dev/null 2>&1 "
			 "&& cp s.img s.orig", states[i]);
		sh("%s", cmd);
		ck_assert_int_eq(ext2fs_open(path("s.img"), EXT2_FLAG_RW | EXT2_FLAG_64BITS, 0, 0,
					     unix_io_manager, &fs), 0);
		ck_assert_int_eq(ext2fs_read_bitmaps(fs), 0);
		ck_assert_int_eq(mbv_ext4_lookup(fs, "/a", &ino, on_error, NULL), 0);
		last_msg[0] = 0;
		ck_assert_int_eq(mbv_ext4_enable(fs, ino, &p, NULL, on_error, NULL), -EUCLEAN);
		ck_assert_msg(strstr(last_msg, "run e2fsck on the image first"), "%s: %s", states[i],
			      last_msg);
		/* mbv_ext4_close() takes an fs it did not open (priv_data not ours). */
		ck_assert_int_eq(mbv_ext4_close(fs, on_error, NULL), 0);
		/* Refused before any write: not a byte changed. */
		sh("cmp -s s.img s.orig", "");
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ext4 state");
	TCase *tc = tcase_create("state");
	SRunner *sr;
	int failed;

	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	{
		char cmd[1024];

		snprintf(cmd, sizeof(cmd), "PATH=$PATH:/usr/sbin:/sbin; cd %s && mkdir src && "
			 "head -c 100000 /dev/urandom >src/a && "
			 "mke2fs -q -F -t ext4 -O verity -b 4096 -d src img 8M >/dev/null 2>&1", dir);
		if (system(cmd) != 0) {
			fprintf(stderr, "FAIL: cannot make the image\n");
			return 1;
		}
	}
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, lock_between_opens);
	tcase_add_test(tc, lock_across_processes);
	tcase_add_test(tc, refused_open_unlocks);
	tcase_add_test(tc, enable_checks_state_itself);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	{
		char cmd[600];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		if (system(cmd) != 0)
			failed++;
	}
	return failed ? 1 : 0;
}
