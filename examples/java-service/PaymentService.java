// A payment service for Squash's JDWP tests: GET /pay?amount=N answers JSON.
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

public class PaymentService {
    static void pay(HttpExchange exchange) throws IOException {
        String query = exchange.getRequestURI().getQuery();
        int amount;
        try {
            amount = Integer.parseInt(param(query == null ? "" : query, "amount"));
        } catch (NumberFormatException e) {
            answer(exchange, 400, "{\"error\":\"amount must be an integer\"}");
            return;
        }
        int fee = amount / 100; // a breakpoint here sees amount (squash:breakpoint)
        answer(exchange, 200, "{\"amount\":" + amount + ",\"fee\":" + fee + "}");
    }

    static String param(String query, String name) {
        for (String pair : query.split("&")) {
            if (pair.startsWith(name + "=")) return pair.substring(name.length() + 1);
        }
        return "";
    }

    static void answer(HttpExchange exchange, int status, String body) throws IOException {
        byte[] data = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, data.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(data);
        }
    }

    public static void main(String[] args) throws IOException {
        String env = System.getenv("PORT");
        int port = Integer.parseInt(args.length > 0 ? args[0] : env != null ? env : "0");
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 0);
        server.createContext("/pay", PaymentService::pay);
        server.start();
        System.out.println("listening on 127.0.0.1:" + server.getAddress().getPort());
    }
}
