/*
 * banned.h - functions mmops does not use, made to fail at compile time (as
 * git's banned.h): unbounded copies and formats (strcpy, strcat, sprintf,
 * vsprintf), hidden state (strtok, gmtime, localtime: use strtok_r,
 * gmtime_r), and number parsing without range or error checks (atoi, atol:
 * use strtol with checks, or the option parser).  err.h includes it last, so
 * every file that can report an error sees it after its system headers.
 * Calling one gives "sorry_strcpy_is_a_banned_function undeclared".
 */
#ifndef MM_BANNED_H
#define MM_BANNED_H

#define BANNED(func) sorry_##func##_is_a_banned_function

#undef strcpy
#define strcpy(x, y) BANNED(strcpy)
#undef strcat
#define strcat(x, y) BANNED(strcat)
#undef sprintf
#define sprintf(...) BANNED(sprintf)
#undef vsprintf
#define vsprintf(...) BANNED(vsprintf)
#undef strtok
#define strtok(x, y) BANNED(strtok)
#undef gmtime
#define gmtime(t) BANNED(gmtime)
#undef localtime
#define localtime(t) BANNED(localtime)
#undef atoi
#define atoi(s) BANNED(atoi)
#undef atol
#define atol(s) BANNED(atol)

#endif
