build-dev/netem/capture.o: netem/capture.c emu/netns.h emu/testbed.h \
 emu/link.h netem/impair.h netem/capture.h
emu/netns.h:
emu/testbed.h:
emu/link.h:
netem/impair.h:
netem/capture.h:
