/*
 * store_walvfs.c - a thin SQLite VFS over the default one that writes each
 * WAL frame with one system call instead of two.
 *
 * SQLite writes a frame of the write-ahead log as two writes: its 24-byte
 * header, then the page right after it. On this hot path that was 15
 * pwrite calls per message (strace -c under scripts/bench), each a trip
 * into the kernel. This VFS holds a 24-byte write to a WAL file back; if
 * the next call is the write that continues it, both go out as one write
 * of header and page together. Anything else that reaches the file first
 * (any other write, a read, a sync, a size, a lock, the shared memory,
 * close) writes the held bytes out before it runs, so every call but the
 * held write itself sees the file exactly as SQLite wrote it. The bytes
 * are the same, at the same offsets, in the same order; only their
 * grouping into system calls changes.
 *
 * Files other than WAL files get the default VFS's own methods untouched
 * (the default file's struct is at the start of ours, so its methods take
 * our pointer as theirs).
 *
 * Owns: the VFS registration (once per process, not the default one) and,
 * per WAL file, the held header and a page-sized scratch buffer.
 */
#include <stdlib.h>
#include <string.h>

#include "store_internal.h"

#define WALVFS_NAME "sb-wal"
#define WAL_FRAME_HEADER 24

/* Follows the default VFS's file struct, at walvfs_extra_offset. */
struct walvfs_extra {
	const sqlite3_io_methods *real;  /* the default VFS's methods for this file */
	unsigned char held[WAL_FRAME_HEADER];
	sqlite3_int64 held_at;           /* offset of the held header; -1: none */
	unsigned char *scratch;          /* header + page, joined */
	size_t scratch_cap;
};

static sqlite3_vfs walvfs;
static sqlite3_vfs *walvfs_real;
static size_t walvfs_extra_offset;

static struct walvfs_extra *
walvfs_extra(sqlite3_file *f)
{
	return (struct walvfs_extra *)((char *)f + walvfs_extra_offset);
}

/* Write the held header out, if any. */
static int
walvfs_flush(sqlite3_file *f)
{
	struct walvfs_extra *x = walvfs_extra(f);
	sqlite3_int64 at = x->held_at;

	if (at < 0)
		return SQLITE_OK;
	x->held_at = -1;
	return x->real->xWrite(f, x->held, WAL_FRAME_HEADER, at);
}

static int
walvfs_write(sqlite3_file *f, const void *buf, int n, sqlite3_int64 off)
{
	struct walvfs_extra *x = walvfs_extra(f);
	int rc;

	/* The page that continues the held header: one write for both. */
	if (x->held_at >= 0 && off == x->held_at + WAL_FRAME_HEADER && n > 0) {
		size_t len = WAL_FRAME_HEADER + (size_t)n;

		if (len > x->scratch_cap) {
			unsigned char *p = realloc(x->scratch, len);

			if (p == NULL)
				goto separately;
			x->scratch = p;
			x->scratch_cap = len;
		}
		memcpy(x->scratch, x->held, WAL_FRAME_HEADER);
		memcpy(x->scratch + WAL_FRAME_HEADER, buf, (size_t)n);
		off = x->held_at;
		x->held_at = -1;
		return x->real->xWrite(f, x->scratch, (int)len, off);
	}
separately:
	if ((rc = walvfs_flush(f)) != SQLITE_OK)
		return rc;
	if (n == WAL_FRAME_HEADER) {
		memcpy(x->held, buf, WAL_FRAME_HEADER);
		x->held_at = off;
		return SQLITE_OK;
	}
	return x->real->xWrite(f, buf, n, off);
}

static int
walvfs_close(sqlite3_file *f)
{
	struct walvfs_extra *x = walvfs_extra(f);
	int rc = walvfs_flush(f), rc2 = x->real->xClose(f);

	free(x->scratch);
	x->scratch = NULL;
	return rc != SQLITE_OK ? rc : rc2;
}

/* Every other method: the held header first, then the default VFS's. */
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
	*x = (struct walvfs_extra){ .real = f->pMethods, .held_at = -1 };
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
