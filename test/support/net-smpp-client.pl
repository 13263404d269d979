#!/usr/bin/perl
# An SMPP ESME built on Net::SMPP (Debian libnet-smpp-perl), driven by test/support/net-smpp.ts.
#
#   perl net-smpp-client.pl HOST PORT
#
# Talks JSON lines: one command per line on stdin, e.g.
#   {"id":1,"cmd":"bind","mode":"transceiver","system_id":"u","password":"p"}
#   {"id":2,"cmd":"submit_sm","destination_addr":"1555","short_message_hex":"6869","tlvs":[{"tag":1060,"hex":"..."}]}
# and one answer or event per line on stdout:
#   {"id":1,"ok":true,"pdu":{...}}        the response PDU to command 1 (or generic_nack)
#   {"id":2,"ok":false,"error":"..."}     the command could not be sent
#   {"event":"connected"}                 once, at start
#   {"event":"pdu","pdu":{...}}           a PDU the server sent on its own (deliver_sm, unbind, ...)
#   {"event":"answered","command":"deliver_sm","sequence_number":7}
#                                         deliver_sm_resp (or data_sm_resp) 7 has just been written
#   {"event":"closed","reason":"..."}     the connection ended; the process then exits
# PDUs carry command_id, command (name), command_status, sequence_number, the decoded mandatory
# fields, short_message_hex, body_hex and tlvs ([{tag, hex}] in wire order). Byte strings are hex
# so tests can send and check raw packed GSM-7, UDH and binary data.
#
# Requests go out asynchronously and answers are matched by sequence number, so deliver_sm PDUs
# that arrive in between are handled (and answered, unless auto_respond is off) meanwhile.
# {"cmd":"set","answer_delay_ms":300} makes the automatic answers leave that long after each
# deliver_sm arrived (a slow ESME), each on its own timer; the default 0 answers at once.
use strict;
use warnings;
use IO::Select;
use JSON::PP;
use Time::HiRes qw(time);
use Net::SMPP;

$SIG{PIPE} = 'IGNORE';
binmode STDOUT;
$| = 1;

my ($host, $port) = @ARGV;
die "usage: $0 HOST PORT\n" unless defined $port;

my $json = JSON::PP->new->ascii->canonical;
my %pending;                 # sequence_number => command id
my %auto = (respond => 1, deliver_status => 0, delay_ms => 0);
my @delayed;                 # [due time, code] in due order: automatic answers held back

sub emit { print $json->encode($_[0]), "\n"; }

my $smpp = Net::SMPP->new_connect($host, port => $port, timeout => 10, async => 1, enquire_interval => 0);
if (!$smpp) {
    emit({ event => 'closed', reason => "connect failed: $!" });
    exit 1;
}
emit({ event => 'connected' });

# Field names of the commands, as Net::SMPP spells them; everything else is ignored.
my @bind_fields = qw(system_id password system_type interface_version addr_ton addr_npi address_range);
my @submit_fields = qw(service_type source_addr_ton source_addr_npi source_addr dest_addr_ton dest_addr_npi
    destination_addr esm_class protocol_id priority_flag schedule_delivery_time validity_period
    registered_delivery replace_if_present_flag data_coding sm_default_msg_id);
my @query_fields = qw(message_id source_addr_ton source_addr_npi source_addr);

sub pick {
    my ($c, @names) = @_;
    return map { defined $c->{$_} ? ($_ => $c->{$_}) : () } @names;
}

# TLVs as raw bytes: Net::SMPP packs named optional params verbatim ('nna*'), so every tag gets a
# name of its own (numeric names would be packed as integers).
sub tlv_args {
    my ($c) = @_;
    my @args;
    for my $t (@{ $c->{tlvs} || [] }) {
        my $name = "tlv_$t->{tag}";
        $Net::SMPP::param_by_name{$name} = $t->{tag};
        push @args, $name => pack('H*', $t->{hex} // '');
    }
    return @args;
}

my %commands = (
    bind => sub {
        my ($c) = @_;
        my $mode = $c->{mode} || 'transceiver';
        my %method = (transceiver => 'bind_transceiver', transmitter => 'bind_transmitter', receiver => 'bind_receiver');
        my $m = $method{$mode} or die "unknown bind mode $mode\n";
        return $smpp->$m(pick($c, @bind_fields), async => 1);
    },
    submit_sm => sub {
        my ($c) = @_;
        return $smpp->submit_sm(pick($c, @submit_fields), short_message => pack('H*', $c->{short_message_hex} // ''),
            tlv_args($c), async => 1);
    },
    query_sm => sub { $smpp->query_sm(pick($_[0], @query_fields), async => 1) },
    enquire_link => sub { $smpp->enquire_link(async => 1) },
    unbind => sub { $smpp->unbind(async => 1) },
);

sub run_command {
    my ($c) = @_;
    my $id = $c->{id};
    my $cmd = $c->{cmd} // '';
    if ($cmd eq 'set') {
        $auto{respond} = $c->{auto_respond} ? 1 : 0 if exists $c->{auto_respond};
        $auto{deliver_status} = $c->{deliver_status} if exists $c->{deliver_status};
        $auto{delay_ms} = $c->{answer_delay_ms} if exists $c->{answer_delay_ms};
        return emit({ id => $id, ok => JSON::PP::true });
    }
    if ($cmd eq 'deliver_sm_resp') {
        answer_deliver('deliver_sm', $c->{sequence_number}, $c->{status} // 0);
        return emit({ id => $id, ok => JSON::PP::true });
    }
    if ($cmd eq 'raw') {
        $smpp->syswrite(pack('H*', $c->{hex}));
        return emit({ id => $id, ok => JSON::PP::true });
    }
    if ($cmd eq 'close') {
        emit({ id => $id, ok => JSON::PP::true });
        emit({ event => 'closed', reason => 'closed by the test' });
        exit 0;
    }
    my $send = $commands{$cmd};
    return emit({ id => $id, ok => JSON::PP::false, error => "unknown command '$cmd'" }) unless $send;
    my $seq = eval { $send->($c) };
    if (!defined $seq) {
        my $err = $@ || 'not sent';
        chomp $err;
        return emit({ id => $id, ok => JSON::PP::false, error => $err });
    }
    $pending{$seq} = $id;
}

sub pdu_to_json {
    my ($pdu) = @_;
    my $tab = Net::SMPP::pdu_tab->{ $pdu->{cmd} };
    my %out = (
        command_id => $pdu->{cmd},
        command => $tab ? $tab->{cmd} : sprintf('unknown_0x%08x', $pdu->{cmd}),
        command_status => $pdu->{status},
        sequence_number => $pdu->{seq},
        body_hex => unpack('H*', $pdu->{data}),
    );
    my $mandatory = length $pdu->{data};
    if ($tab) {
        # Decode again into a scratch hash just to learn where the mandatory part ends.
        my %scratch = (data => $pdu->{data});
        $mandatory = eval { $tab->{decode}->(\%scratch, $smpp) } // length $pdu->{data};
        for my $k (keys %scratch) {
            next if $k eq 'data' || $k =~ /^\d+$/;
            next unless defined $scratch{$k} && !ref $scratch{$k};
            if ($k eq 'short_message') { $out{short_message_hex} = unpack('H*', $scratch{$k}); }
            else { $out{$k} = $scratch{$k}; }
        }
    }
    my @tlvs;
    my $off = $mandatory;
    while ($off + 4 <= length $pdu->{data}) {
        my ($tag, $len) = unpack 'nn', substr($pdu->{data}, $off, 4);
        push @tlvs, { tag => $tag, hex => unpack('H*', substr($pdu->{data}, $off + 4, $len)) };
        $off += 4 + $len;
    }
    $out{tlvs} = \@tlvs;
    return \%out;
}

# Writes the answer to a deliver_sm or data_sm, then reports it.
sub answer_deliver {
    my ($command, $seq, $status) = @_;
    my $method = "${command}_resp";
    $smpp->$method(seq => $seq, status => $status, message_id => '');
    emit({ event => 'answered', command => $command, sequence_number => $seq });
}

# A PDU the server sent on its own: report it, and answer what an ESME must answer.
sub answer_request {
    my ($pdu) = @_;
    my $cmd = $pdu->{cmd};
    if ($cmd == Net::SMPP::CMD_enquire_link) { $smpp->enquire_link_resp(seq => $pdu->{seq}); }
    elsif ($cmd == Net::SMPP::CMD_unbind) { $smpp->unbind_resp(seq => $pdu->{seq}); }
    elsif (($cmd == Net::SMPP::CMD_deliver_sm || $cmd == Net::SMPP::CMD_data_sm) && $auto{respond}) {
        my @answer = ($cmd == Net::SMPP::CMD_deliver_sm ? 'deliver_sm' : 'data_sm', $pdu->{seq}, $auto{deliver_status});
        if ($auto{delay_ms} > 0) {
            my $due = time + $auto{delay_ms} / 1000;
            @delayed = sort { $a->[0] <=> $b->[0] } @delayed, [$due, sub { answer_deliver(@answer) }];
        }
        else { answer_deliver(@answer); }
    }
}

# Sends the held-back answers that are due; returns how long select may wait for the next one.
sub run_due {
    while (@delayed && $delayed[0][0] <= time) { (shift @delayed)->[1]->(); }
    return @delayed ? $delayed[0][0] - time : undef;
}

sub on_pdu {
    my ($pdu) = @_;
    my $is_resp = ($pdu->{cmd} & 0x80000000) != 0;
    if ($is_resp && exists $pending{ $pdu->{seq} }) {
        my $id = delete $pending{ $pdu->{seq} };
        return emit({ id => $id, ok => JSON::PP::true, pdu => pdu_to_json($pdu) });
    }
    emit({ event => 'pdu', pdu => pdu_to_json($pdu) });
    answer_request($pdu) unless $is_resp;
}

my $sel = IO::Select->new(\*STDIN, $smpp);
my $stdin_buf = '';
while (1) {
    my $wait = run_due();
    for my $fh ($sel->can_read(defined $wait && $wait < 0 ? 0 : $wait)) {
        if ($fh == $smpp) {
            my $pdu = $smpp->read_pdu();
            if (!$pdu) {
                my $why = ${*$smpp}{smpperror} // 'connection closed';
                emit({ event => 'closed', reason => $why });
                exit 0;
            }
            on_pdu($pdu);
            next;
        }
        my $n = sysread(STDIN, $stdin_buf, 65536, length $stdin_buf);
        if (!$n) {    # the test process went away: leave without a word
            exit 0;
        }
        while ($stdin_buf =~ s/^([^\n]*)\n//) {
            my $line = $1;
            next unless $line =~ /\S/;
            my $c = eval { $json->decode($line) };
            if (!$c) { emit({ event => 'error', error => "bad command line: $line" }); next; }
            run_command($c);
        }
    }
}
