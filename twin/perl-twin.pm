# ArchwayPerlTwin: makes the host's perl, started as the twin of a foreign root's perl of the same
# Debian version, behave as the root's own (docs/accel.md, "perl"). scripts/accel-perl installs it
# as ROOT/.archway/native/perl/ArchwayPerlTwin.pm with the @@...@@ lines filled in; the route runs
#
#     perl -I/.archway/native/perl -MArchwayPerlTwin=PATH ARGS...
#
# PATH being the root's program the rule is for (/usr/bin/perl). Loaded before the script, it loads
# no module itself and leaves no trace in @INC or %INC.
package ArchwayPerlTwin;

my $twin_dir = '/.archway/native/perl';
my @host_inc = (@@HOST_INC@@);   # the host perl's built-in @INC, in its order
my @root_inc = (@@ROOT_INC@@);   # the root perl's built-in @INC, in its order
my %xs = map { $_ => 1 } (@@XS@@); # the root's XS modules (.so) that have a host twin
my $machine = '@@MACHINE@@';     # uname -m under the emulator

# @INC: the command line's -I (but ours) and PERL5LIB entries as given, then the root's built-in
# list in place of the host's. Config.pm (%Config, archname), Errno.pm and every .pm are the root's.
{
        my %host = map { $_ => 1 } @host_inc;
        my @keep = grep { $_ ne $twin_dir } @INC;
        pop @keep while @keep && $host{$keep[-1]};
        @INC = (@keep, @root_inc);
}

# XS: the root's module FILE.so loads the host's x86_64 build of the same package version, copied to
# $twin_dir/xs/FILE.so (perl's own, /usr/lib/texinfo's ...). Nothing else can be loaded here.
{
        local $^W = 0;
        # DynaLoader's functions exist once it is booted (XSLoader.pm does that unless it was).
        DynaLoader::boot_DynaLoader('DynaLoader')
                if defined(&DynaLoader::boot_DynaLoader) && !defined(&DynaLoader::dl_error);
        my $load = \&DynaLoader::dl_load_file;
        my $install = \&DynaLoader::dl_install_xsub;
        *DynaLoader::dl_load_file = sub {
                my ($file, @rest) = @_;
                return $load->("$twin_dir/xs$file", @rest) if $xs{$file};
                die "archway perl twin: cannot load $file: not an XS module of the root's perl with a host twin "
                    . "(run this with ARCHWAY_SHIM=qemu)\n";
        };
        # POSIX::uname names the machine; the emulator says $machine.
        *DynaLoader::dl_install_xsub = sub {
                my $boot = $install->(@_);
                return $boot unless $_[0] eq 'POSIX::bootstrap';
                return sub {
                        my @r = $boot->(@_);
                        my $uname = \&POSIX::uname;
                        local $^W = 0; # perl -w: no "Subroutine redefined"
                        *POSIX::uname = sub { my @u = $uname->(@_); $u[4] = $machine if @u == 5; @u };
                        return @r;
                };
        };
}

# $^X: the emulated perl reads its own program (QEMU's /proc/self/exe: the path executed, symlinks
# resolved), the twin the host loader. The route names the path it is for.
sub import {
        $^X = $_[1] if defined $_[1];
        delete $INC{'ArchwayPerlTwin.pm'};
}

1;
