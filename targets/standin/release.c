/* The one object built per release (targets.mk passes STANDIN_RELEASE_MAJOR
 * and STANDIN_RELEASE_NAME): which seL4 release this kernel imitates. */
#include "release.h"

#if !defined(STANDIN_RELEASE_MAJOR) || !defined(STANDIN_RELEASE_NAME)
#error "release.c is built per release: STANDIN_RELEASE_MAJOR and STANDIN_RELEASE_NAME"
#endif
#if STANDIN_RELEASE_MAJOR < 13 || STANDIN_RELEASE_MAJOR > 16
#error "the stand-in imitates seL4 13.0.0 .. 16.0.0"
#endif

const struct standin_release standin_release = {
    .major = STANDIN_RELEASE_MAJOR,
    .name = STANDIN_RELEASE_NAME,
};
