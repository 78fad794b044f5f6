build-dev/models/detector.o: models/detector.c \
 /usr/lib/darknet/include/darknet.h models/detector.h models/jpeg.h
/usr/lib/darknet/include/darknet.h:
models/detector.h:
models/jpeg.h:
