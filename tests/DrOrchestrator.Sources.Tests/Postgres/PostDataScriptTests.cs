using DrOrchestrator.Sources.PostgreSql;

namespace DrOrchestrator.Sources.Tests.Postgres;

/// <summary>How a plain post-data script is split for a parallel restore (decisions §59).</summary>
public sealed class PostDataScriptTests
{
    private const string Script = """
        --
        -- PostgreSQL database dump
        --

        \restrict abc

        SET statement_timeout = 0;
        SET client_encoding = 'UTF8';
        SELECT pg_catalog.set_config('search_path', '', false);
        SET row_security = off;

        SET default_tablespace = '';

        --
        -- Name: orders orders_pkey; Type: CONSTRAINT; Schema: public; Owner: drorch
        --

        ALTER TABLE ONLY public.orders
            ADD CONSTRAINT orders_pkey PRIMARY KEY (id);


        SET default_tablespace = fast;

        --
        -- Name: orders_placed; Type: INDEX; Schema: public; Owner: drorch
        --

        CREATE INDEX orders_placed ON public.orders USING btree (placed DESC);


        SET default_tablespace = '';

        --
        -- Name: orders orders_customer_fkey; Type: FK CONSTRAINT; Schema: public; Owner: drorch
        --

        ALTER TABLE ONLY public.orders
            ADD CONSTRAINT orders_customer_fkey FOREIGN KEY (customer) REFERENCES public.customers(id);


        --
        -- Name: odd; Type: INDEX; Schema: public; Owner: drorch; Type: TRIGGER; Schema: x
        --

        CREATE TRIGGER odd BEFORE INSERT ON public.orders FOR EACH ROW EXECUTE FUNCTION public.touch();


        --
        -- PostgreSQL database dump complete
        --

        \unrestrict abc

        """;

    [Fact]
    public void Index_and_key_builds_run_apart_with_the_settings_in_force_and_the_rest_keeps_dump_order()
    {
        var script = PostDataScript.Split(Script);

        Assert.Equal(2, script.Builds.Count);
        Assert.Contains("SELECT pg_catalog.set_config('search_path', '', false);", script.Builds[0], StringComparison.Ordinal);
        Assert.Contains("SET default_tablespace = '';\n", script.Builds[0], StringComparison.Ordinal);
        Assert.Contains("ADD CONSTRAINT orders_pkey PRIMARY KEY (id);", script.Builds[0], StringComparison.Ordinal);
        Assert.Contains("SET default_tablespace = fast;\n", script.Builds[1], StringComparison.Ordinal);
        var beforeIndex = script.Builds[1][..script.Builds[1].IndexOf("CREATE INDEX", StringComparison.Ordinal)];
        Assert.DoesNotContain("SET default_tablespace = '';", beforeIndex, StringComparison.Ordinal);
        Assert.Contains("CREATE INDEX orders_placed", script.Builds[1], StringComparison.Ordinal);
        Assert.All(script.Builds, b => Assert.DoesNotContain("\\restrict", b, StringComparison.Ordinal));

        Assert.DoesNotContain("PRIMARY KEY", script.Rest, StringComparison.Ordinal);
        Assert.DoesNotContain("CREATE INDEX", script.Rest, StringComparison.Ordinal);
        var order = new[] { "\\restrict abc", "SET default_tablespace = fast;", "SET default_tablespace = '';", "FOREIGN KEY", "CREATE TRIGGER odd", "\\unrestrict abc" }
            .Select(s => script.Rest.LastIndexOf(s, StringComparison.Ordinal)).ToList();
        Assert.DoesNotContain(-1, order);
        Assert.Equal(order.Order(), order);
    }
}
