/* version.h - the hypervisor's version; TERN_BUILD_KIND comes from the Makefile. */
#ifndef TERN_VERSION_H
#define TERN_VERSION_H

#define TERN_VERSION "0.1"
#ifndef TERN_BUILD_KIND
#define TERN_BUILD_KIND "release"
#endif

#endif
