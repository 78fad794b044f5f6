build-dev/emu/testbed.o: emu/testbed.c emu/cgroup.h emu/netns.h \
 emu/testbed.h emu/link.h netem/impair.h netem/netem.h
emu/cgroup.h:
emu/netns.h:
emu/testbed.h:
emu/link.h:
netem/impair.h:
netem/netem.h:
