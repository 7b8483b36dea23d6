// smsc_sim.js - an SMSC for the smpp channel's end-to-end tests
// (test_smpp.py), built on the npm `smpp` package's server side: a third
// party's SMPP 3.4 implementation, not ours.
//
// Usage: node smsc_sim.js PASSWORD [--quiet]  (listens on 127.0.0.1, a random port;
// --quiet, for scripts/bench: no submit events, a count every second instead)
// Prints one JSON event per line on stdout, the first {"ev":"listening",
// "port":N}. Takes one JSON command per line on stdin:
//   {"cmd":"throttle","n":2}        the next n submit_sm get ESME_RTHROTTLED
//   {"cmd":"throttle","n":1,"after":1}  ... after accepting `after` more first
//   {"cmd":"noid","n":1}            the next n are accepted without a message_id
//   {"cmd":"status","n":1,"status":11}  the next n get that command_status
//   {"cmd":"receipt","id":"1f001","stat":"DELIVRD","form":"text"|"tlv"|"both",
//    "id_form":"dec"}               a deliver_sm receipt (id written in decimal)
//   {"cmd":"mo","from":"5511...","to":"...","text":"..."}  an MO deliver_sm
//   {"cmd":"enquire"}               an enquire_link to the ESME on every bound session
//   {"cmd":"close"}                 drop every connection
//   {"cmd":"close_one","sid":N}     drop session N
//   {"cmd":"silent","on":true}      stop answering submit_sm and enquire_link
//   {"cmd":"mute_enquire","on":true}  stop answering enquire_link only
//   {"cmd":"mute_bind","on":true}   leave binds unanswered
//   {"cmd":"bind_delay","ms":N}     answer binds N ms late
//   {"cmd":"hold","on":true}        keep submit_sm unanswered ("held" events)
//   {"cmd":"release"}               answer every held submit_sm still on an
//                                   open session, oldest first, and stop holding
//   {"cmd":"sync"}                  nothing: its ack follows every event before it
// Every command is acknowledged with {"ev":"ack","n":N} when it carries
// "n_ack":N, so that a test waits for it to apply instead of sleeping.
// Sessions are numbered from 1 in order of connection ("sid" in bind,
// submit, held and closed events).
// Message ids are hexadecimal, counting from 0x1f001.
'use strict';
const smpp = require('smpp');
const readline = require('readline');

const password = process.argv[2] || 'secret';
const quiet = process.argv[3] === '--quiet';
let submits = 0;
let nextId = 0x1f001;
let throttle = 0, throttleAfter = 0, noid = 0;
let forced = 0, forcedStatus = 0, silent = false, muteEnquire = false;
let hold = false, muteBind = false, bindDelay = 0, nextSid = 1;
const sessions = new Set();
const held = [];

function out(ev) { process.stdout.write(JSON.stringify(ev) + '\n'); }

// The answer to one submit_sm: throttled, a forced status, or accepted with an id.
function answer(session, pdu, ev) {
	if (throttle > 0 && throttleAfter > 0) {
		throttleAfter--;
	} else if (throttle > 0) {
		throttle--;
		ev.status = smpp.ESME_RTHROTTLED;
		out(ev);
		session.send(pdu.response({ command_status: smpp.ESME_RTHROTTLED }));
		return;
	}
	if (forced > 0) {
		forced--;
		ev.status = forcedStatus;
		out(ev);
		session.send(pdu.response({ command_status: forcedStatus }));
		return;
	}
	if (noid > 0) {
		noid--;
		submits++;
		ev.id = '';
		if (!quiet) out(ev);
		session.send(pdu.response({ message_id: '' }));
		return;
	}
	ev.id = (nextId++).toString(16);
	submits++;
	if (!quiet) out(ev);
	session.send(pdu.response({ message_id: ev.id }));
}

const server = smpp.createServer(function (session) {
	const sid = nextSid++;
	session.sid = sid;
	session.on('error', (e) => out({ ev: 'error', error: String(e) }));
	session.on('close', () => { sessions.delete(session); out({ ev: 'closed', sid: sid }); });
	for (const cmd of ['bind_transceiver', 'bind_transmitter', 'bind_receiver']) {
		session.on(cmd, function (pdu) {
			const ok = pdu.password === password;
			if (muteBind) { out({ ev: 'bind_ignored', sid: sid, t: Date.now() }); return; }
			const answer = () => {
				out({ ev: 'bind', sid: sid, t: Date.now(), cmd: cmd, system_id: pdu.system_id,
					system_type: pdu.system_type, ok: ok });
				if (!ok) {
					session.send(pdu.response({ command_status: smpp.ESME_RINVPASWD }));
					session.close();
					return;
				}
				session.send(pdu.response({ system_id: 'SIMSC' }));
				sessions.add(session);
			};
			if (bindDelay > 0) setTimeout(answer, bindDelay); else answer();
		});
	}
	session.on('submit_sm', function (pdu) {
		let text = pdu.short_message.message;
		if (silent) { out({ ev: 'ignored', sid: sid, text: text }); return; }
		const udh = pdu.short_message.udh ? Array.from(pdu.short_message.udh[0]) : null;
		const ev = { ev: 'submit', sid: sid, src: pdu.source_addr, src_ton: pdu.source_addr_ton,
			src_npi: pdu.source_addr_npi, dst: pdu.destination_addr,
			dst_ton: pdu.dest_addr_ton, dst_npi: pdu.dest_addr_npi,
			data_coding: pdu.data_coding, esm_class: pdu.esm_class,
			registered_delivery: pdu.registered_delivery, udh: udh, text: text };
		if (pdu.sar_msg_ref_num !== undefined)
			ev.sar = [pdu.sar_msg_ref_num, pdu.sar_total_segments, pdu.sar_segment_seqnum];
		if (pdu.message_payload !== undefined) {
			ev.payload = true;
			ev.text = pdu.message_payload.message;
		}
		if (hold) {
			out({ ev: 'held', sid: sid, text: ev.text });
			held.push([session, pdu, ev]);
			return;
		}
		answer(session, pdu, ev);
	});
	session.on('enquire_link', function (pdu) {
		out({ ev: 'enquire_link', sid: sid });
		if (!silent && !muteEnquire) session.send(pdu.response());
	});
	session.on('unbind', function (pdu) {
		out({ ev: 'unbind', sid: sid });
		session.send(pdu.response());
		session.close();
	});
	session.on('deliver_sm_resp', (pdu) => out({ ev: 'deliver_sm_resp', status: pdu.command_status }));
	session.on('enquire_link_resp', () => out({ ev: 'enquire_link_resp', sid: sid }));
});

function receiver() {
	for (const s of sessions) return s;
	return null;
}

function command(c) {
	const s = receiver();
	if (c.cmd === 'throttle') { throttle = c.n; throttleAfter = c.after || 0; }
	else if (c.cmd === 'noid') noid = c.n;
	else if (c.cmd === 'status') { forced = c.n; forcedStatus = c.status; }
	else if (c.cmd === 'silent') silent = !!c.on;
	else if (c.cmd === 'mute_enquire') muteEnquire = !!c.on;
	else if (c.cmd === 'mute_bind') muteBind = !!c.on;
	else if (c.cmd === 'bind_delay') bindDelay = c.ms;
	else if (c.cmd === 'sync') { /* the ack is the point */ }
	else if (c.cmd === 'hold') hold = !!c.on;
	else if (c.cmd === 'release') {
		hold = false;
		for (const [hs, pdu, ev] of held.splice(0))
			if (sessions.has(hs)) answer(hs, pdu, ev);
	}
	else if (c.cmd === 'close') { for (const x of sessions) x.close(); }
	else if (c.cmd === 'close_one') { for (const x of sessions) if (x.sid === c.sid) x.close(); }
	else if (c.cmd === 'enquire' && s) { for (const x of sessions) x.send(new smpp.PDU('enquire_link', {})); }
	else if (c.cmd === 'receipt' && s) {
		const id = c.id_form === 'dec' ? String(parseInt(c.id, 16)) : c.id;
		const p = { esm_class: smpp.ESM_CLASS.MC_DELIVERY_RECEIPT, source_addr: c.to || '',
			destination_addr: c.from || '' };
		const form = c.form || 'text';
		if (form !== 'tlv')
			p.short_message = 'id:' + id + ' sub:001 dlvrd:001 submit date:2612050735 done date:2612050736 stat:' +
				c.stat + ' err:' + (c.err || '000') + ' text:';
		if (form !== 'text') {
			const states = { ENROUTE: 1, DELIVRD: 2, EXPIRED: 3, DELETED: 4, UNDELIV: 5, ACCEPTD: 6, REJECTD: 8 };
			p.receipted_message_id = id;
			p.message_state = states[c.stat];
			if (form === 'tlv') p.short_message = '';
		}
		s.send(new smpp.PDU('deliver_sm', p));
	} else if (c.cmd === 'mo' && s) {
		s.send(new smpp.PDU('deliver_sm', { source_addr: c.from, source_addr_ton: 1,
			source_addr_npi: 1, destination_addr: c.to, dest_addr_ton: 1,
			short_message: c.text }));
	} else out({ ev: 'error', error: 'cannot ' + c.cmd + (s ? '' : ': no session') });
}

readline.createInterface({ input: process.stdin }).on('line', (l) => {
	try {
		const c = JSON.parse(l);
		command(c);
		if (c.n_ack !== undefined) out({ ev: 'ack', n: c.n_ack });
	} catch (e) { out({ ev: 'error', error: String(e) }); }
}).on('close', () => process.exit(0));

server.listen(0, '127.0.0.1', () => out({ ev: 'listening', port: server.address().port }));
if (quiet) setInterval(() => out({ ev: 'count', submits: submits }), 1000).unref();
