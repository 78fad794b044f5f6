build-dev/pipeline/server.o: pipeline/server.c pipeline/server.h \
 pipeline/dispatch.h pipeline/proto.h pipeline/sock.h pipeline/clock.h \
 pipeline/udp.h
pipeline/server.h:
pipeline/dispatch.h:
pipeline/proto.h:
pipeline/sock.h:
pipeline/clock.h:
pipeline/udp.h:
