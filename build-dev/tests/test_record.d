build-dev/tests/test_record.o: tests/test_record.c models/record.h \
 models/detector.h models/jpeg.h tests/t.h
models/record.h:
models/detector.h:
models/jpeg.h:
tests/t.h:
