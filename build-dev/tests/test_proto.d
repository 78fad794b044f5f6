build-dev/tests/test_proto.o: tests/test_proto.c pipeline/proto.h \
 pipeline/sock.h pipeline/udp.h tests/t.h
pipeline/proto.h:
pipeline/sock.h:
pipeline/udp.h:
tests/t.h:
