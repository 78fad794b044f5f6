build-dev/pipeline/client_cmd.o: pipeline/client_cmd.c cli.h commands.h \
 pipeline/client.h pipeline/sock.h pipeline/udp.h
cli.h:
commands.h:
pipeline/client.h:
pipeline/sock.h:
pipeline/udp.h:
