# syntax=docker/dockerfile:1
# escape=\
ARG BASE=scratch
FROM ${BASE:-scratch} AS build
ARG A B=${A:+set}
ENV X=1 Y="two words" Z=$X LEGACY value \
    continued
LABEL a=b "c d"=e
WORKDIR /w/${A}
USER 1000:${B:-0}
COPY --chown=1:1 --chmod=755 a* b/ /dst/
ADD x.tar /
RUN ["sh", "-c", "echo $X"]
RUN echo 'hi' && \
    # a comment inside
    true
EXPOSE 80/tcp 53/udp
VOLUME ["/data"]
FROM build
COPY --from=build /w /w2
SHELL ["/bin/sh", "-ec"]
ENTRYPOINT ["/bin/app"]
CMD ["--help"]
STOPSIGNAL SIGINT
