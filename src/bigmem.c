/*-------------------------------------------------------------------------
 *
 * bigmem.c
 *	  Buffers of megabytes in the backend: results of wos_get() and
 *	  swath_subset(), I/O blocks, S3 parts.
 *
 * A buffer that size is a malloc() mapping of its own, fresh memory in
 * every call, and each 4 kB page of it faults when first touched.  On a
 * virtual machine that gives freed memory back to its host a fault costs
 * microseconds, so filling a 17 MB subset cost more than the copy itself.
 * Where transparent huge pages are "madvise" (Ubuntu's default, and many
 * VMs'), the kernel backs a buffer with 2 MB pages only when asked: it is
 * asked here, for every buffer of at least one such page.  Where THP is
 * "always" the request changes nothing; where it is "never", or the kernel
 * has no THP at all, the request fails and is ignored: it is only advice.
 *
 *-------------------------------------------------------------------------
 */
#include "eoswath.h"

#include <sys/mman.h>
#include <unistd.h>

#include "utils/memutils.h"

/* the size of a transparent huge page on x86-64 and arm64 (4 kB pages) */
#define BIGMEM_HUGE_PAGE	((Size) 2 * 1024 * 1024)

/*
 * SIZE bytes in CXT, like MemoryContextAllocHuge(), the kernel asked to
 * back them with huge pages when they span one.
 */
void *
eoswath_alloc_big(MemoryContext cxt, Size size)
{
	char	   *p = MemoryContextAllocHuge(cxt, size);

#ifdef MADV_HUGEPAGE
	if (size >= BIGMEM_HUGE_PAGE)
	{
		uintptr_t	page = (uintptr_t) sysconf(_SC_PAGESIZE);
		uintptr_t	from = TYPEALIGN(page, (uintptr_t) p);
		uintptr_t	to = TYPEALIGN_DOWN(page, (uintptr_t) p + size);

		if (to > from)
			(void) madvise((void *) from, to - from, MADV_HUGEPAGE);
	}
#endif
	return p;
}
