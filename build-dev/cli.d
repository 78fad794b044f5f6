build-dev/cli.o: cli.c cli.h
cli.h:
