/*
 * store_walvfs.c - a thin SQLite VFS over the default one that writes a
 * transaction's WAL frames in a few system calls instead of two per frame.
 *
 * SQLite writes each frame of the write-ahead log as two writes, its
 * 24-byte header and then the page right after it, and a commit writes one
 * frame per page it changed: about 39 frames per group commit on this hot
 * path, 7 pwrite calls per message even with header and page joined
 * (strace -c under scripts/bench), each a trip into the kernel. This VFS
 * collects consecutive frames written to a WAL file in a run buffer and
 * writes the run out (in writes of up to 128 KiB) when the frame that ends the
 * transaction (its header's second field, the database size after the
 * commit, is not zero) is complete, or when the run reaches
 * WALVFS_RUN_MAX. Anything else that reaches the file first (a write that
 * does not continue the run, a read, a sync, a size, a lock, the shared
 * memory, close) writes the run out before it runs, so every call but the
 * collecting writes themselves sees the file exactly as SQLite wrote it.
 * The bytes are the same, at the same offsets, in the same order; only
 * their grouping into system calls changes.
 *
 * Why this is safe: SQLite publishes a commit to other connections (the
 * syncer's checkpoints) only in the WAL index, after the commit frame's
 * write has returned, and by then the run is in the kernel. Frames of a
 * transaction that spilled early are read back only through this file,
 * whose reads write the run out first. The loop's connection runs with
 * synchronous=OFF, so a COMMIT never waited for the disk here anyway; the
 * syncer's fdatasync comes after the commit's write, as before.
 *
 * Files other than WAL files get the default VFS's own methods untouched
 * (the default file's struct is at the start of ours, so its methods take
 * our pointer as theirs).
 *
 * Owns: the VFS registration (once per process, not the default one), the
 * count of bytes written to WAL files and, per WAL file, the run buffer.
 */
#include <stdlib.h>
#include <string.h>

#include "store_internal.h"

#define WALVFS_NAME "sb-wal"
#define WAL_FRAME_HEADER 24
/* A run this long is written out even before its commit frame: a large
 * transaction (a 1 000-recipient batch) costs a write per MiB, not more
 * memory. */
#define WALVFS_RUN_MAX ((size_t)1 << 20)
/* The default VFS writes at most 2^17 - 1 bytes in one call (its
 * seekAndWrite keeps the low 17 bits of the length), so a run goes out in
 * pieces no longer than that: two writes for a typical group commit. */
#define WALVFS_WRITE_MAX ((size_t)0x1ffff)

/* Follows the default VFS's file struct, at walvfs_extra_offset. */
struct walvfs_extra {
	const sqlite3_io_methods *real;  /* the default VFS's methods for this file */
	unsigned char *run;              /* consecutive frames not yet written */
	size_t run_len, run_cap;
	sqlite3_int64 run_at;            /* file offset of run[0] */
	int run_wants_page;              /* the run ends with a frame header */
	int run_commits;                 /* that last header is a commit frame's */
};

static sqlite3_vfs walvfs;
static sqlite3_vfs *walvfs_real;
static size_t walvfs_extra_offset;
/* Bytes written to WAL files through this VFS (only the loop's connection
 * opens it, so only the loop's thread counts). */
static uint64_t walvfs_bytes;

static struct walvfs_extra *
walvfs_extra(sqlite3_file *f)
{
	return (struct walvfs_extra *)((char *)f + walvfs_extra_offset);
}

/* The default VFS's write, counted. */
static int
walvfs_real_write(sqlite3_file *f, const void *buf, int n, sqlite3_int64 off)
{
	int rc = walvfs_extra(f)->real->xWrite(f, buf, n, off);

	if (rc == SQLITE_OK && n > 0)
		walvfs_bytes += (uint64_t)n;
	return rc;
}

/* Write the run out, if any. */
static int
walvfs_flush(sqlite3_file *f)
{
	struct walvfs_extra *x = walvfs_extra(f);
	size_t len = x->run_len;

	size_t done = 0;
	int rc = SQLITE_OK;

	x->run_len = 0;
	x->run_wants_page = 0;
	while (rc == SQLITE_OK && done < len) {
		size_t n = len - done < WALVFS_WRITE_MAX ? len - done : WALVFS_WRITE_MAX;

		rc = walvfs_real_write(f, x->run + done, (int)n, x->run_at + (sqlite3_int64)done);
		done += n;
	}
	return rc;
}

/* Append n bytes to the run; 0 when there is no room to grow it. */
static int
walvfs_append(struct walvfs_extra *x, const void *buf, size_t n)
{
	if (x->run_len + n > x->run_cap) {
		size_t cap = x->run_cap ? x->run_cap : 16384;
		unsigned char *p;

		while (cap < x->run_len + n)
			cap *= 2;
		if ((p = realloc(x->run, cap)) == NULL)
			return 0;
		x->run = p;
		x->run_cap = cap;
	}
	memcpy(x->run + x->run_len, buf, n);
	x->run_len += n;
	return 1;
}

/* Whether a frame header marks the transaction's last frame: its second
 * big-endian field is the database size after the commit, 0 otherwise. */
static int
walvfs_header_commits(const unsigned char *h)
{
	return (h[4] | h[5] | h[6] | h[7]) != 0;
}

static int
walvfs_write(sqlite3_file *f, const void *buf, int n, sqlite3_int64 off)
{
	struct walvfs_extra *x = walvfs_extra(f);
	int continues = x->run_len > 0 && off == x->run_at + (sqlite3_int64)x->run_len;
	int rc;

	if (n == WAL_FRAME_HEADER) {
		/* A frame's header: it joins a run of whole frames or starts one. */
		if (!continues || x->run_wants_page || x->run_len >= WALVFS_RUN_MAX) {
			if ((rc = walvfs_flush(f)) != SQLITE_OK)
				return rc;
			x->run_at = off;
		}
		if (!walvfs_append(x, buf, WAL_FRAME_HEADER)) {
			if ((rc = walvfs_flush(f)) != SQLITE_OK)
				return rc;
			return walvfs_real_write(f, buf, n, off);
		}
		x->run_wants_page = 1;
		x->run_commits = walvfs_header_commits(buf);
		return SQLITE_OK;
	}
	if (continues && x->run_wants_page && n > 0 && walvfs_append(x, buf, (size_t)n)) {
		/* The page of the run's last header: the frame is whole. */
		x->run_wants_page = 0;
		return x->run_commits ? walvfs_flush(f) : SQLITE_OK;
	}
	if ((rc = walvfs_flush(f)) != SQLITE_OK)
		return rc;
	return walvfs_real_write(f, buf, n, off);
}

static int
walvfs_close(sqlite3_file *f)
{
	struct walvfs_extra *x = walvfs_extra(f);
	int rc = walvfs_flush(f), rc2 = x->real->xClose(f);

	free(x->run);
	x->run = NULL;
	x->run_len = x->run_cap = 0;
	return rc != SQLITE_OK ? rc : rc2;
}

/* Every other method: the run first, then the default VFS's. */
#define WALVFS_PASS(name, params, args)                                        \
	static int                                                             \
	walvfs_##name params                                                   \
	{                                                                      \
		int rc = walvfs_flush(f);                                      \
		return rc != SQLITE_OK ? rc : walvfs_extra(f)->real->name args; \
	}

WALVFS_PASS(xRead, (sqlite3_file *f, void *b, int n, sqlite3_int64 o), (f, b, n, o))
WALVFS_PASS(xTruncate, (sqlite3_file *f, sqlite3_int64 size), (f, size))
WALVFS_PASS(xSync, (sqlite3_file *f, int flags), (f, flags))
WALVFS_PASS(xFileSize, (sqlite3_file *f, sqlite3_int64 *size), (f, size))
WALVFS_PASS(xLock, (sqlite3_file *f, int level), (f, level))
WALVFS_PASS(xUnlock, (sqlite3_file *f, int level), (f, level))
WALVFS_PASS(xCheckReservedLock, (sqlite3_file *f, int *out), (f, out))
WALVFS_PASS(xFileControl, (sqlite3_file *f, int op, void *arg), (f, op, arg))
WALVFS_PASS(xShmMap, (sqlite3_file *f, int pg, int sz, int ext, void volatile **p),
    (f, pg, sz, ext, p))
WALVFS_PASS(xShmLock, (sqlite3_file *f, int ofs, int n, int flags), (f, ofs, n, flags))
WALVFS_PASS(xShmUnmap, (sqlite3_file *f, int del), (f, del))
WALVFS_PASS(xFetch, (sqlite3_file *f, sqlite3_int64 o, int n, void **p), (f, o, n, p))
WALVFS_PASS(xUnfetch, (sqlite3_file *f, sqlite3_int64 o, void *p), (f, o, p))

static int
walvfs_xSectorSize(sqlite3_file *f)
{
	walvfs_flush(f);
	return walvfs_extra(f)->real->xSectorSize(f);
}

static int
walvfs_xDeviceCharacteristics(sqlite3_file *f)
{
	walvfs_flush(f);
	return walvfs_extra(f)->real->xDeviceCharacteristics(f);
}

static void
walvfs_xShmBarrier(sqlite3_file *f)
{
	walvfs_flush(f);
	walvfs_extra(f)->real->xShmBarrier(f);
}

static const sqlite3_io_methods walvfs_methods = {
	.iVersion = 3,
	.xClose = walvfs_close,
	.xRead = walvfs_xRead,
	.xWrite = walvfs_write,
	.xTruncate = walvfs_xTruncate,
	.xSync = walvfs_xSync,
	.xFileSize = walvfs_xFileSize,
	.xLock = walvfs_xLock,
	.xUnlock = walvfs_xUnlock,
	.xCheckReservedLock = walvfs_xCheckReservedLock,
	.xFileControl = walvfs_xFileControl,
	.xSectorSize = walvfs_xSectorSize,
	.xDeviceCharacteristics = walvfs_xDeviceCharacteristics,
	.xShmMap = walvfs_xShmMap,
	.xShmLock = walvfs_xShmLock,
	.xShmBarrier = walvfs_xShmBarrier,
	.xShmUnmap = walvfs_xShmUnmap,
	.xFetch = walvfs_xFetch,
	.xUnfetch = walvfs_xUnfetch,
};

static int
walvfs_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *f, int flags, int *out_flags)
{
	struct walvfs_extra *x = walvfs_extra(f);
	int rc;

	(void)vfs;
	rc = walvfs_real->xOpen(walvfs_real, name, f, flags, out_flags);
	if (rc != SQLITE_OK || f->pMethods == NULL || !(flags & SQLITE_OPEN_WAL))
		return rc;
	/* The default methods must be the version ours copy (3: shm, fetch). */
	if (f->pMethods->iVersion < 3)
		return rc;
	*x = (struct walvfs_extra){ .real = f->pMethods };
	f->pMethods = &walvfs_methods;
	return SQLITE_OK;
}

const char *
sb_store_walvfs(void)
{
	if (walvfs_real != NULL)
		return WALVFS_NAME;
	if ((walvfs_real = sqlite3_vfs_find(NULL)) == NULL)
		return NULL;
	/* The default VFS's methods are used for everything but opening. */
	walvfs = *walvfs_real;
	walvfs.zName = WALVFS_NAME;
	walvfs.pNext = NULL;
	walvfs_extra_offset = ((size_t)walvfs_real->szOsFile + 15) & ~(size_t)15;
	walvfs.szOsFile = (int)(walvfs_extra_offset + sizeof(struct walvfs_extra));
	walvfs.xOpen = walvfs_open;
	if (sqlite3_vfs_register(&walvfs, 0) != SQLITE_OK) {
		walvfs_real = NULL;
		return NULL;
	}
	return WALVFS_NAME;
}

uint64_t
sb_store_wal_bytes(void)
{
	return walvfs_bytes;
}
