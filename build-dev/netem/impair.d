build-dev/netem/impair.o: netem/impair.c netem/impair.h
netem/impair.h:
