# SPDX-License-Identifier: GPL-2.0
# Kwik: out-of-tree kernel module, kwikctl and the selftests.
KDIR ?= /lib/modules/$(shell uname -r)/build

.PHONY: all module clean
all: module

module:
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean
