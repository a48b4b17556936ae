// A TCP forwarder on 127.0.0.1 whose link can be cut like a network loss:
// while cut, connections stay open but nothing gets through either way (no
// FIN, no RST: what a pulled cable looks like) and new connections hang. On
// restore, what was held back is delivered, as TCP resumes after an outage.
import net from 'node:net';

export interface TcpProxy {
	port: number;
	cut(): void;
	restore(): void;
	close(): Promise<void>;
}

export async function startTcpProxy(targetPort: number): Promise<TcpProxy> {
	let down = false;
	const sockets = new Set<net.Socket>();
	const held: (() => void)[] = [];
	const pass = (action: () => void) => (down ? held.push(action) : action());
	const track = (s: net.Socket) => {
		sockets.add(s);
		s.on('close', () => sockets.delete(s));
		s.on('error', () => s.destroy());
	};
	const server = net.createServer((client) => {
		track(client);
		const early: Buffer[] = [];
		client.on('data', (d: Buffer) => early.push(d));
		pass(() => {
			if (client.destroyed) return;
			const upstream = net.connect(targetPort, '127.0.0.1');
			track(upstream);
			client.removeAllListeners('data');
			for (const d of early) upstream.write(d);
			client.on('data', (d) => pass(() => upstream.write(d)));
			upstream.on('data', (d) => pass(() => client.write(d)));
			upstream.on('close', () => client.destroy());
			client.on('close', () => upstream.destroy());
		});
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	return {
		port: (server.address() as net.AddressInfo).port,
		cut: () => void (down = true),
		restore() {
			down = false;
			for (const action of held.splice(0)) action();
		},
		async close() {
			for (const s of sockets) s.destroy();
			await new Promise((resolve) => server.close(resolve));
		}
	};
}
