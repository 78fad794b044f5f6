build-dev/tests/test_detector.o: tests/test_detector.c models/detector.h \
 models/jpeg.h models/locate.h tests/t.h
models/detector.h:
models/jpeg.h:
models/locate.h:
tests/t.h:
