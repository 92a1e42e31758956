/*
 * banned.h - functions impact's code must not call.
 *
 * Included last by common.h, so any use of these names is a compile error.
 * Unbounded copies and formatting overflow buffers; system() and popen()
 * go through a shell, and file names may hold any byte. Use impact_buf,
 * snprintf and posix_spawn with an argv instead. (git's banned.h.)
 */
#ifndef IMPACT_BANNED_H
#define IMPACT_BANNED_H

#define BANNED(func) sorry_##func##_is_banned_in_impact

#undef strcpy
#define strcpy(x, y) BANNED(strcpy)
#undef strcat
#define strcat(x, y) BANNED(strcat)
#undef strncpy
#define strncpy(x, y, n) BANNED(strncpy)
#undef strncat
#define strncat(x, y, n) BANNED(strncat)
#undef sprintf
#define sprintf(...) BANNED(sprintf)
#undef vsprintf
#define vsprintf(...) BANNED(vsprintf)
#undef strtok
#define strtok(x, y) BANNED(strtok)
#undef gets
#define gets(x) BANNED(gets)
#undef system
#define system(x) BANNED(system)
#undef popen
#define popen(x, y) BANNED(popen)

#endif
