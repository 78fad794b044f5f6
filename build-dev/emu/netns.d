build-dev/emu/netns.o: emu/netns.c emu/netns.h
emu/netns.h:
