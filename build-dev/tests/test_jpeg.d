build-dev/tests/test_jpeg.o: tests/test_jpeg.c models/jpeg.h \
 models/locate.h tests/t.h
models/jpeg.h:
models/locate.h:
tests/t.h:
