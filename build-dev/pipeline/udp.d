build-dev/pipeline/udp.o: pipeline/udp.c pipeline/udp.h
pipeline/udp.h:
