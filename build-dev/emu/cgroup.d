build-dev/emu/cgroup.o: emu/cgroup.c emu/cgroup.h
emu/cgroup.h:
