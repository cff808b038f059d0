# escape=`
FROM scratch
RUN dir `
  c:\
ENV P=${UNSET:-`$HOME}
