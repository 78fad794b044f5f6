build-dev/pipeline/api.o: pipeline/api.c pipeline/api.h pipeline/server.h \
 pipeline/dispatch.h pipeline/proto.h pipeline/sock.h pipeline/clock.h \
 pipeline/udp.h
pipeline/api.h:
pipeline/server.h:
pipeline/dispatch.h:
pipeline/proto.h:
pipeline/sock.h:
pipeline/clock.h:
pipeline/udp.h:
