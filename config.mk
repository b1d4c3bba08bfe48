# config.mk - build settings; override on the command line (make CC=clang).
VERSION   = 0.1.0
PREFIX   ?= /usr/local
CC       ?= cc
PKGS      = jansson yaml-0.1 libcurl libmicrohttpd libxml-2.0
# Linked; libcurl is only compiled against: lib/http.c loads it on first use.
LINK_PKGS = jansson yaml-0.1 libmicrohttpd libxml-2.0
CSTD      = -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE
WARN      = -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter
OPT      ?= -O2 -g
