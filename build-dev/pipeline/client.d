build-dev/pipeline/client.o: pipeline/client.c pipeline/client.h \
 pipeline/sock.h models/record.h models/detector.h models/jpeg.h \
 pipeline/clock.h pipeline/udp.h
pipeline/client.h:
pipeline/sock.h:
models/record.h:
models/detector.h:
models/jpeg.h:
pipeline/clock.h:
pipeline/udp.h:
