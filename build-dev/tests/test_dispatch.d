build-dev/tests/test_dispatch.o: tests/test_dispatch.c \
 pipeline/dispatch.h tests/t.h
pipeline/dispatch.h:
tests/t.h:
