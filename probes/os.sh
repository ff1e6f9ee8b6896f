#!/bin/sh
# OS probe: one word, the kernel name. pool maps it to linux / macos / unknown.
LC_ALL=C
export LC_ALL
uname -s
