build-dev/pipeline/worker.o: pipeline/worker.c pipeline/worker.h \
 models/detector.h models/jpeg.h pipeline/sock.h pipeline/clock.h \
 pipeline/proto.h pipeline/udp.h
pipeline/worker.h:
models/detector.h:
models/jpeg.h:
pipeline/sock.h:
pipeline/clock.h:
pipeline/proto.h:
pipeline/udp.h:
